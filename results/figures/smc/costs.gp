# prunebench figure: cost vs benefit (plots/plot.c).
# Rerun in this folder: gnuplot costs.gp  (reads costs.dat, writes costs.png and costs.svg)
if (!exists("pb_out")) pb_out = 'costs'
if (!exists("pb_dat")) pb_dat = 'costs.dat'
do for [pb_term = 1:2] {
if (pb_term == 1) {
    set terminal pngcairo size 560,516 noenhanced font 'Sans,11' background '#ffffff'
    set output pb_out.'.png'
} else {
    set terminal svg size 560,516 noenhanced font 'Sans,11' background '#ffffff'
    set output pb_out.'.svg'
}
reset
set encoding utf8
set multiplot title 'cost of each parameter group (wn-choice model)' font ',14'
set grid back lc rgb '#e0e0e0' lw 1 dt 1
set border 3 lc rgb '#444444'
set tics nomirror out scale 0.6
unset key
set style fill solid 0.85 border lc rgb '#333333'
set xtics scale 0
set ylabel 'share of the model (%)'

# panel 1
set lmargin at screen 0.1393; set rmargin at screen 0.9571
set bmargin at screen 0.1744; set tmargin at screen 0.8876
set title ''
set boxwidth 0.4 absolute
set xrange [-0.6:2.6]
set xtics ('encoder' 0, 'embeddings' 1, 'head' 2)
set yrange [0:100]
plot pb_dat index 0 using 1:2 with boxes lc rgb '#0072B2' notitle, \
     pb_dat index 0 using 1:2:(sprintf('%.1f%%', $2)) with labels offset 0,0.7 font ',10' notitle, \
     pb_dat index 1 using 1:2 with boxes lc rgb '#D55E00' notitle, \
     pb_dat index 1 using 1:2:(sprintf('%.1f%%', $2)) with labels offset 0,0.7 font ',10' notitle, \
     NaN notitle
unset arrow 3; unset arrow 4

# legend
unset title; unset xlabel; unset ylabel; unset border; unset tics; unset grid
unset label; unset arrow; set xrange [0:1]; set yrange [0:1]
set lmargin at screen 0.02; set rmargin at screen 0.98; set bmargin at screen 0.0039; set tmargin at screen 0.0891
set key inside center center horizontal maxcols 2 reverse Left samplen 2.5 spacing 1.1 width 2 noautotitle
plot NaN with boxes fs solid 0.85 border lc rgb '#333333' lc rgb '#0072B2' title 'parameters', \
     NaN with boxes fs solid 0.85 border lc rgb '#333333' lc rgb '#D55E00' title 'forward FLOPs'
unset multiplot
unset output
}
