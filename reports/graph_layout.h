/*
 * A layered (Sugiyama-style) drawing of a directed graph, for the HTML
 * report's wait-for graph. It knows boxes and arrows, nothing of threads.
 *
 * The steps, each the plain textbook version:
 *  1. cycles are broken by reversing the back edges of a depth-first search
 *     (in node order, edges in input order); the reversed edges are
 *     remembered and drawn pointing up;
 *  2. layers by longest path from the sources, then every node with
 *     successors is pulled down to just above its nearest one (shorter edges);
 *  3. an edge spanning several layers gets one virtual node per layer it
 *     crosses, so it bends around boxes instead of through them;
 *  4. order within layers: barycenter sweeps down and up, keeping the order
 *     with the fewest crossings (counted exactly, by inversions);
 *  5. coordinates: layers stacked top to bottom; within a layer each box
 *     moves toward the mean of its neighbours' centres, then is pushed apart
 *     from both sides and the two results averaged, which keeps the order
 *     and never lets boxes overlap.
 *
 * Everything is deterministic: the same input gives the same output, bit
 * for bit. Inputs are capped (graph_layout_options.max_nodes / max_edges,
 * and the total of virtual nodes): beyond a cap the first nodes and edges
 * are laid out, the rest is not (placed == false / dropped), and `reduced`
 * says so — the caller must tell the reader.
 */
#ifndef HS_REPORTS_GRAPH_LAYOUT_H
#define HS_REPORTS_GRAPH_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

#define GRAPH_LAYOUT_MAX_NODES 2000u
#define GRAPH_LAYOUT_MAX_EDGES 8000u
#define GRAPH_LAYOUT_MAX_VIRTUAL 20000u	/* bends of long edges; past it, the longest are drawn straight */

struct graph_layout_options {
	double layer_gap;	/* vertical space between layers (edge labels go there) */
	double node_gap;	/* horizontal space between boxes */
	unsigned sweeps;	/* ordering passes (one down or one up sweep each) */
	size_t max_nodes, max_edges;	/* each at most the defines above */
};

/* Defaults: 56 px between layers, 28 px between boxes, 12 sweeps, the caps above. */
void graph_layout_options_default(struct graph_layout_options *opts);

struct layout_node_in {
	double width, height;
};

struct layout_edge_in {
	size_t from, to;	/* node indices; from == to is a self-loop */
};

struct layout_point {
	double x, y;
};

struct layout_edge {
	struct layout_point *points;	/* from the source's border to the target's, >= 2 unless dropped */
	size_t npoints;
	bool reversed;		/* a back edge: it points up, against the layers */
	bool self_loop;		/* a small loop on the box's right side */
	bool straight;		/* too long to route past boxes under the cap: one straight segment */
	bool dropped;		/* beyond a cap, or an endpoint was: not drawn (npoints 0) */
};

struct graph_layout {
	size_t nnodes, nedges;		/* as given */
	struct layout_point *pos;	/* top-left corner of each node */
	bool *placed;			/* false for nodes beyond max_nodes */
	struct layout_edge *edges;	/* in input order */
	double width, height;		/* bounding box of everything drawn, from (0, 0) */
	unsigned layers;
	size_t crossings;		/* edge crossings between adjacent layers, as ordered */
	bool reduced;			/* a cap was hit: not everything was laid out */
};

/*
 * Lays out nnodes boxes and nedges edges (opts NULL: the defaults). Fails
 * with HS_ERR_INVALID for an edge whose endpoint is not a node, and when
 * memory runs out; *ret is the caller's to destroy.
 */
struct hs_error *graph_layout_compute(const struct layout_node_in *nodes, size_t nnodes,
				      const struct layout_edge_in *edges, size_t nedges,
				      const struct graph_layout_options *opts, struct graph_layout **ret);
void graph_layout_destroy(struct graph_layout *l);

/* The point halfway along an edge's polyline (where its label goes); false when it was dropped. */
bool graph_layout_edge_midpoint(const struct layout_edge *e, struct layout_point *ret);

#endif
