# prunebench figure: metric vs sparsity (plots/plot.c).
# Rerun in this folder: gnuplot metric_vs_sparsity.gp  (reads metric_vs_sparsity.dat, writes metric_vs_sparsity.png and metric_vs_sparsity.svg)
if (!exists("pb_out")) pb_out = 'metric_vs_sparsity'
if (!exists("pb_dat")) pb_dat = 'metric_vs_sparsity.dat'
do for [pb_term = 1:2] {
if (pb_term == 1) {
    set terminal pngcairo size 1680,538 noenhanced font 'Sans,11' background '#ffffff'
    set output pb_out.'.png'
} else {
    set terminal svg size 1680,538 noenhanced font 'Sans,11' background '#ffffff'
    set output pb_out.'.svg'
}
reset
set encoding utf8
set multiplot title 'dev metric vs target sparsity (mean and 95% CI over n = 3 seeds)' font ',14'
set grid back lc rgb '#e0e0e0' lw 1 dt 1
set border 3 lc rgb '#444444'
set tics nomirror out scale 0.6
unset key
set xlabel 'target sparsity (%)'
set ylabel 'dev score (%)'

# panel 1
set lmargin at screen 0.0464; set rmargin at screen 0.3190
set bmargin at screen 0.2491; set tmargin at screen 0.8476
set title 'wn-span (exact_match)'
set xrange [79.32:97.68]; set yrange [0:64.296]
set arrow 1 from graph 0, first 59.53333333 to graph 1, first 59.53333333 nohead dt 2 lc rgb '#333333' lw 1.5 front
plot pb_dat index 0 using 1:2:3 with filledcurves fs transparent solid 0.18 noborder lc rgb '#0072B2' notitle, \
     pb_dat index 1 using 1:2 with linespoints lc rgb '#0072B2' lw 2 pt 7 ps 0.9 notitle, \
     NaN notitle
unset arrow 3; unset arrow 4
unset arrow 1

# panel 2
set lmargin at screen 0.3798; set rmargin at screen 0.6524
set bmargin at screen 0.2491; set tmargin at screen 0.8476
set title 'wn-pair (accuracy)'
set xrange [79.32:97.68]; set yrange [33.3333:50.1873]
set border 2 lc rgb '#444444'
set arrow 1 from graph 0, first 47.71438105 to graph 1, first 47.71438105 nohead dt 2 lc rgb '#333333' lw 1.5 front
set arrow 3 from graph 0, first 33.33333333 to graph 1, first 33.33333333 nohead dt 3 lc rgb '#555555' lw 2 front
set arrow 4 from graph 0, first 33.33333333 to graph 1, first 33.33333333 nohead dt 4 lc rgb '#5E3C99' lw 1.5 front
plot pb_dat index 2 using 1:2:3 with filledcurves fs transparent solid 0.18 noborder lc rgb '#0072B2' notitle, \
     pb_dat index 3 using 1:2 with linespoints lc rgb '#0072B2' lw 2 pt 7 ps 0.9 notitle, \
     NaN notitle
unset arrow 3; unset arrow 4
set border 3 lc rgb '#444444'
unset arrow 1

# panel 3
set lmargin at screen 0.7131; set rmargin at screen 0.9857
set bmargin at screen 0.2491; set tmargin at screen 0.8476
set title 'spam (accuracy)'
set xrange [79.32:97.68]; set yrange [50:100]
set border 2 lc rgb '#444444'
set arrow 1 from graph 0, first 96.50582363 to graph 1, first 96.50582363 nohead dt 2 lc rgb '#333333' lw 1.5 front
set arrow 3 from graph 0, first 50 to graph 1, first 50 nohead dt 3 lc rgb '#555555' lw 2 front
set arrow 4 from graph 0, first 71.04825291 to graph 1, first 71.04825291 nohead dt 4 lc rgb '#5E3C99' lw 1.5 front
plot pb_dat index 4 using 1:2:3 with filledcurves fs transparent solid 0.18 noborder lc rgb '#0072B2' notitle, \
     pb_dat index 5 using 1:2 with linespoints lc rgb '#0072B2' lw 2 pt 7 ps 0.9 notitle, \
     NaN notitle
unset arrow 3; unset arrow 4
set border 3 lc rgb '#444444'
unset arrow 1

# legend
unset title; unset xlabel; unset ylabel; unset border; unset tics; unset grid
unset label; unset arrow; set xrange [0:1]; set yrange [0:1]
set lmargin at screen 0.02; set rmargin at screen 0.98; set bmargin at screen 0.0037; set tmargin at screen 0.1264
set key inside center center horizontal maxcols 6 reverse Left samplen 2.5 spacing 1.1 width 2 noautotitle
plot NaN with linespoints lc rgb '#0072B2' lw 2 pt 7 ps 1 title 'magnitude', \
     NaN with boxes fs transparent solid 0.25 noborder lc rgb '#7f7f7f' title '95% CI', \
     NaN with lines dt 2 lc rgb '#333333' lw 1.5 title 'dense', \
     NaN with lines dt 3 lc rgb '#555555' lw 2 title 'chance 33.3 (wn-pair)', \
     NaN with lines dt 3 lc rgb '#555555' lw 2 title 'chance 50.0 (spam)', \
     NaN with lines dt 4 lc rgb '#5E3C99' lw 1.5 title 'majority 33.3 (wn-pair)', \
     NaN with lines dt 4 lc rgb '#5E3C99' lw 1.5 title 'majority 71.0 (spam)'
unset multiplot
unset output
}
