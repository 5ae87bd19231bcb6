/* figure_internal.h - shared inside lib/figure: the colour map tables. */
#ifndef TSCT_FIGURE_INTERNAL_H
#define TSCT_FIGURE_INTERNAL_H

extern const float tsct__cmap_viridis[256][3];
extern const float tsct__cmap_magma[256][3];

#endif
