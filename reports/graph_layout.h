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
	/* clusters (layout_node_in.cluster): the least width of each one's box
	   (its label), cluster_min_width[id - 1] for id 1..nclusters; NULL: none */
	const double *cluster_min_width;
	size_t nclusters;
};

/* Defaults: 56 px between layers, 28 px between boxes, 12 sweeps, the caps above. */
void graph_layout_options_default(struct graph_layout_options *opts);

struct layout_node_in {
	double width, height;
	unsigned cluster;	/* 0: none; else the box (1, 2...) drawn around it and the others with this id */
};

/*
 * Clusters: when a node has a cluster id, the nodes of each cluster are
 * contiguous in every layer (ordered by id, the nodes of no cluster last;
 * crossings are reduced within each), each cluster gets a vertical band of
 * its own (bands never overlap: the nodes of a band, and the bends of the
 * edges leaving it, are shifted together), and its box is the bounding box
 * of its nodes with GRAPH_LAYOUT_CLUSTER_PAD around them and
 * GRAPH_LAYOUT_CLUSTER_LABEL more on top for a label. Without any cluster id
 * the layout is exactly the one without clusters.
 */
#define GRAPH_LAYOUT_CLUSTER_PAD 10.0
#define GRAPH_LAYOUT_CLUSTER_LABEL 18.0
#define GRAPH_LAYOUT_MAX_CLUSTERS 256u

struct layout_cluster {
	double x, y, width, height;	/* the box, label room included */
	bool placed;			/* false: no placed node has this id */
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
	size_t nclusters;		/* the highest cluster id given (at most GRAPH_LAYOUT_MAX_CLUSTERS) */
	struct layout_cluster *clusters;	/* clusters[id - 1]; NULL when nclusters is 0 */
};

/*
 * Lays out nnodes boxes and nedges edges (opts NULL: the defaults). Fails
 * with HS_ERR_INVALID for an edge whose endpoint is not a node or a cluster
 * id over GRAPH_LAYOUT_MAX_CLUSTERS, and when
 * memory runs out; *ret is the caller's to destroy.
 */
struct hs_error *graph_layout_compute(const struct layout_node_in *nodes, size_t nnodes,
				      const struct layout_edge_in *edges, size_t nedges,
				      const struct graph_layout_options *opts, struct graph_layout **ret);
void graph_layout_destroy(struct graph_layout *l);

/* The point halfway along an edge's polyline (where its label goes); false when it was dropped. */
bool graph_layout_edge_midpoint(const struct layout_edge *e, struct layout_point *ret);

#endif
