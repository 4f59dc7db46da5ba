# prunebench figure: training curves (plots/plot.c).
# Rerun in this folder: gnuplot curves_wn-choice_magnitude_67.2.gp  (reads curves_wn-choice_magnitude_67.2.dat, writes curves_wn-choice_magnitude_67.2.png and curves_wn-choice_magnitude_67.2.svg)
if (!exists("pb_out")) pb_out = 'curves_wn-choice_magnitude_67.2'
if (!exists("pb_dat")) pb_dat = 'curves_wn-choice_magnitude_67.2.dat'
do for [pb_term = 1:2] {
if (pb_term == 1) {
    set terminal pngcairo size 1000,834 noenhanced font 'Sans,11' background '#ffffff'
    set output pb_out.'.png'
} else {
    set terminal svg size 1000,834 noenhanced font 'Sans,11' background '#ffffff'
    set output pb_out.'.svg'
}
reset
set encoding utf8
set multiplot title 'wn-choice, magnitude to 67.2% sparsity (fixed recipe, no KD), seed 1: training curves' font ',14'
set grid back lc rgb '#e0e0e0' lw 1 dt 1
set border 3 lc rgb '#444444'
set tics nomirror out scale 0.6
unset key
set datafile missing '?'
set xrange [1:374]
unset title

# panel 1: loss
set lmargin at screen 0.1120; set rmargin at screen 0.9720
set bmargin at screen 0.6307; set tmargin at screen 0.9329
set ylabel 'loss'
set format y '%g'
set autoscale y
set format x ''
unset xlabel
plot pb_dat using 1:2 with lines lc rgb '#0072B2' lw 1.5 notitle

# panel 2: learning rate
set lmargin at screen 0.1120; set rmargin at screen 0.9720
set bmargin at screen 0.3189; set tmargin at screen 0.6115
set ylabel 'learning rate'
set format y '%.1e'
set autoscale y
set format x ''
unset xlabel
plot pb_dat using 1:3 with lines lc rgb '#D55E00' lw 1.5 notitle

# panel 3: sparsity (%)
set lmargin at screen 0.1120; set rmargin at screen 0.9720
set bmargin at screen 0.0743; set tmargin at screen 0.2998
set ylabel 'sparsity (%)'
set format y '%g'
set yrange [0:100]
set format x '%g'
set xlabel 'step'
plot pb_dat using 1:4 with lines lc rgb '#009E73' lw 1.5 notitle
unset multiplot
unset output
}
