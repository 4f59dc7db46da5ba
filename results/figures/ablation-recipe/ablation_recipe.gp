# prunebench figure: grouped bars (plots/plot.c).
# Rerun in this folder: gnuplot ablation_recipe.gp  (reads ablation_recipe.dat, writes ablation_recipe.png and ablation_recipe.svg)
if (!exists("pb_out")) pb_out = 'ablation_recipe'
if (!exists("pb_dat")) pb_dat = 'ablation_recipe.dat'
do for [pb_term = 1:2] {
if (pb_term == 1) {
    set terminal pngcairo size 657,538 noenhanced font 'Sans,11' background '#ffffff'
    set output pb_out.'.png'
} else {
    set terminal svg size 657,538 noenhanced font 'Sans,11' background '#ffffff'
    set output pb_out.'.svg'
}
reset
set encoding utf8
set multiplot title 'scaled vs fixed recipes (mean and 95% CI over n = 3 seeds)' font ',14'
set grid back lc rgb '#e0e0e0' lw 1 dt 1
set border 3 lc rgb '#444444'
set tics nomirror out scale 0.6
unset key
set style fill solid 0.85 border lc rgb '#333333'
set xtics scale 0
set ylabel 'dev accuracy (%)'

# panel 1
set lmargin at screen 0.1187; set rmargin at screen 0.9635
set bmargin at screen 0.2082; set tmargin at screen 0.8476
set title 'wn-choice (accuracy)'
set boxwidth 0.4 absolute
set xrange [-0.6:1.6]
set xtics ('sparsity 80%%' 0, 'sparsity 97%%' 1)
set yrange [0:35.2543]
set arrow 1 from graph 0, first 26.33333333 to graph 1, first 26.33333333 nohead dt 2 lc rgb '#333333' lw 1.5 front
set arrow 3 from graph 0, first 20 to graph 1, first 20 nohead dt 3 lc rgb '#555555' lw 2 front
set arrow 4 from graph 0, first 21.4 to graph 1, first 21.4 nohead dt 4 lc rgb '#5E3C99' lw 1.5 front
plot pb_dat index 0 using 1:2 with boxes lc rgb '#0072B2' notitle, \
     pb_dat index 1 using 1:($2-$3):(0):(2*$3) with vectors nohead lc rgb '#222222' lw 1.2 notitle, \
     pb_dat index 1 using ($1-0.07):($2-$3):(0.14):(0) with vectors nohead lc rgb '#222222' lw 1.2 notitle, \
     pb_dat index 1 using ($1-0.07):($2+$3):(0.14):(0) with vectors nohead lc rgb '#222222' lw 1.2 notitle, \
     pb_dat index 2 using 1:2 with boxes lc rgb '#D55E00' notitle, \
     pb_dat index 3 using 1:($2-$3):(0):(2*$3) with vectors nohead lc rgb '#222222' lw 1.2 notitle, \
     pb_dat index 3 using ($1-0.07):($2-$3):(0.14):(0) with vectors nohead lc rgb '#222222' lw 1.2 notitle, \
     pb_dat index 3 using ($1-0.07):($2+$3):(0.14):(0) with vectors nohead lc rgb '#222222' lw 1.2 notitle, \
     NaN notitle
unset arrow 3; unset arrow 4
unset arrow 1

# legend
unset title; unset xlabel; unset ylabel; unset border; unset tics; unset grid
unset label; unset arrow; set xrange [0:1]; set yrange [0:1]
set lmargin at screen 0.02; set rmargin at screen 0.98; set bmargin at screen 0.0037; set tmargin at screen 0.1264
set key inside center center horizontal maxcols 3 reverse Left samplen 2.5 spacing 1.1 width 2 noautotitle
plot NaN with boxes fs solid 0.85 border lc rgb '#333333' lc rgb '#0072B2' title 'fixed', \
     NaN with boxes fs solid 0.85 border lc rgb '#333333' lc rgb '#D55E00' title 'scaled', \
     NaN with lines dt 2 lc rgb '#333333' lw 1.5 title 'dense', \
     NaN with lines dt 3 lc rgb '#555555' lw 2 title 'chance 20.0', \
     NaN with lines dt 4 lc rgb '#5E3C99' lw 1.5 title 'majority 21.4'
unset multiplot
unset output
}
