# prunebench figure: metric vs sparsity (plots/plot.c).
# Rerun in this folder: gnuplot metric_vs_sparsity.gp  (reads metric_vs_sparsity.dat, writes metric_vs_sparsity.png and metric_vs_sparsity.svg)
if (!exists("pb_out")) pb_out = 'metric_vs_sparsity'
if (!exists("pb_dat")) pb_dat = 'metric_vs_sparsity.dat'
do for [pb_term = 1:2] {
if (pb_term == 1) {
    set terminal pngcairo size 560,604 noenhanced font 'Sans,11' background '#ffffff'
    set output pb_out.'.png'
} else {
    set terminal svg size 560,604 noenhanced font 'Sans,11' background '#ffffff'
    set output pb_out.'.svg'
}
reset
set encoding utf8
set multiplot title 'dev metric vs target sparsity (mean and 95% CI over seeds)' font ',14'
set grid back lc rgb '#e0e0e0' lw 1 dt 1
set border 3 lc rgb '#444444'
set tics nomirror out scale 0.6
unset key
set xlabel 'target sparsity (%)'
set ylabel 'dev accuracy (%)'

# panel 1
set lmargin at screen 0.1393; set rmargin at screen 0.9571
set bmargin at screen 0.3311; set tmargin at screen 0.8642
set title 'wn-choice (accuracy)'
set xrange [66.232:68.232]; set yrange [22.8678:32.4655]
set arrow 1 from graph 0, first 26.33333333 to graph 1, first 26.33333333 nohead dt 2 lc rgb '#333333' lw 1.5 front
set label 2 'dense' at graph 0.99, first 26.33333333 right offset 0,0.6 tc rgb '#333333' font ',10' front
plot pb_dat index 0 using 1:2 with linespoints lc rgb '#0072B2' lw 2 pt 7 ps 0.9 notitle, \
     pb_dat index 1 using 1:2 with linespoints lc rgb '#D55E00' lw 2 pt 5 ps 0.9 notitle, \
     pb_dat index 2 using 1:2 with linespoints lc rgb '#009E73' lw 2 pt 9 ps 0.9 notitle, \
     pb_dat index 3 using 1:2 with linespoints lc rgb '#CC79A7' lw 2 pt 13 ps 0.9 notitle, \
     pb_dat index 4 using 1:2 with linespoints lc rgb '#E69F00' lw 2 pt 11 ps 0.9 notitle, \
     pb_dat index 5 using 1:2 with linespoints lc rgb '#56B4E9' lw 2 pt 15 ps 0.9 notitle, \
     pb_dat index 6 using 1:2 with linespoints lc rgb '#7F7F7F' lw 2 pt 6 ps 0.9 notitle, \
     NaN notitle
unset arrow 1; unset label 2

# legend
unset title; unset xlabel; unset ylabel; unset border; unset tics; unset grid
unset label; unset arrow; set xrange [0:1]; set yrange [0:1]
set lmargin at screen 0.02; set rmargin at screen 0.98; set bmargin at screen 0.0033; set tmargin at screen 0.2219
set key inside center center horizontal maxcols 2 reverse Left samplen 2.5 spacing 1.1 width 2 noautotitle
plot NaN with linespoints lc rgb '#0072B2' lw 2 pt 7 ps 1 title 'magnitude, no KD', \
     NaN with linespoints lc rgb '#D55E00' lw 2 pt 5 ps 1 title 'magnitude, KD T=1 h=0.5', \
     NaN with linespoints lc rgb '#009E73' lw 2 pt 9 ps 1 title 'magnitude, KD T=1 h=1', \
     NaN with linespoints lc rgb '#CC79A7' lw 2 pt 13 ps 1 title 'magnitude, KD T=2 h=0.5', \
     NaN with linespoints lc rgb '#E69F00' lw 2 pt 11 ps 1 title 'magnitude, KD T=2 h=1', \
     NaN with linespoints lc rgb '#56B4E9' lw 2 pt 15 ps 1 title 'magnitude, KD T=5.5 h=0.5', \
     NaN with linespoints lc rgb '#7F7F7F' lw 2 pt 6 ps 1 title 'magnitude, KD T=5.5 h=1', \
     NaN with boxes fs transparent solid 0.25 noborder lc rgb '#7f7f7f' title '95% CI', \
     NaN with lines dt 2 lc rgb '#333333' lw 1.5 title 'dense'
unset multiplot
unset output
}
