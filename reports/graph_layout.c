/* See graph_layout.h for the steps; this file follows them in order. */
#include "reports/graph_layout.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#define VIRTUAL_GAP 10.0	/* between two bends of different edges */
#define LOOP_EXTRA 26.0		/* room on a box's right for its self-loop */
#define PLACE_PASSES 8u		/* coordinate passes (alternating down and up) */

void graph_layout_options_default(struct graph_layout_options *opts)
{
	opts->layer_gap = 56;
	opts->node_gap = 28;
	opts->sweeps = 12;
	opts->max_nodes = GRAPH_LAYOUT_MAX_NODES;
	opts->max_edges = GRAPH_LAYOUT_MAX_EDGES;
	opts->cluster_min_width = NULL;
	opts->nclusters = 0;
}

/* ---- scratch memory: every temporary array, freed together -------------- */

struct scratch {
	void *ptrs[64];
	size_t n;
	bool failed;
};

static void *scratch_alloc(struct scratch *s, size_t count, size_t size)
{
	void *p;

	if (s->failed || s->n == ARRAY_SIZE(s->ptrs) || (size && count > SIZE_MAX / size)) {
		s->failed = true;
		return NULL;
	}
	if (!(p = calloc(count ? count : 1, size ? size : 1))) {
		s->failed = true;
		return NULL;
	}
	s->ptrs[s->n++] = p;
	return p;
}

static void scratch_free(struct scratch *s)
{
	while (s->n)
		free(s->ptrs[--s->n]);
}

/* ---- the working graph -------------------------------------------------- */

struct work {
	const struct graph_layout_options *opts;
	size_t n;		/* real nodes laid out */
	size_t total;		/* real + virtual */
	/* per edge (input order) */
	size_t nedges;
	bool *kept;		/* laid out, not a self-loop */
	size_t *up, *down;	/* effective direction: up's layer < down's layer */
	size_t *chain_start, *chain_len;	/* virtual nodes of the edge, in `chain` */
	size_t *chain;
	/* per node (real first, then virtual) */
	unsigned *layer;
	double *width, *height;
	double *cx;		/* centre x */
	size_t *order_pos;	/* index within its layer */
	/* layers */
	unsigned nlayers;
	size_t *layer_start, *layer_len, *layer_nodes;	/* layer_nodes[layer_start[l] + i] */
	double *layer_top, *layer_height;
	/* segments between adjacent layers: seg_up[s] is in the layer above seg_down[s] */
	size_t nsegs;
	size_t *seg_up, *seg_down;
	/* neighbours through segments (CSR) */
	size_t *nb_up_start, *nb_up, *nb_down_start, *nb_down;
	/* clusters: rank[v] orders the nodes of a layer first (0 for all without clusters) */
	bool clustered;
	unsigned nclusters;	/* the highest id */
	unsigned *cluster;	/* per node, real and virtual: 0 none */
	unsigned *rank;		/* cluster id, or nclusters + 1 for none */
};

/* Edges out of each real node in input order (CSR), for the depth-first search. */
static bool break_cycles(struct scratch *s, struct work *w, const struct layout_edge_in *edges, bool *reversed)
{
	size_t *start = scratch_alloc(s, w->n + 1, sizeof(size_t));
	size_t *list = scratch_alloc(s, w->nedges, sizeof(size_t));
	size_t *fill = scratch_alloc(s, w->n + 1, sizeof(size_t));
	unsigned char *state = scratch_alloc(s, w->n, 1);	/* 0 new, 1 on the path, 2 done */
	size_t *stack = scratch_alloc(s, w->n, sizeof(size_t));
	size_t *next = scratch_alloc(s, w->n, sizeof(size_t));

	if (s->failed)
		return false;
	for (size_t e = 0; e < w->nedges; e++)
		if (w->kept[e])
			start[edges[e].from + 1]++;
	for (size_t i = 0; i < w->n; i++)
		start[i + 1] += start[i];
	memcpy(fill, start, (w->n + 1) * sizeof(size_t));
	for (size_t e = 0; e < w->nedges; e++)
		if (w->kept[e])
			list[fill[edges[e].from]++] = e;
	for (size_t root = 0; root < w->n; root++) {
		size_t depth = 0;

		if (state[root])
			continue;
		stack[depth++] = root;
		state[root] = 1;
		next[root] = start[root];
		while (depth) {
			size_t u = stack[depth - 1];
			if (next[u] == start[u + 1]) {
				state[u] = 2;
				depth--;
				continue;
			}
			size_t e = list[next[u]++], v = edges[e].to;
			if (state[v] == 1) {
				reversed[e] = true;
			} else if (state[v] == 0) {
				state[v] = 1;
				next[v] = start[v];
				stack[depth++] = v;
			}
		}
	}
	for (size_t e = 0; e < w->nedges; e++) {
		if (!w->kept[e])
			continue;
		w->up[e] = reversed[e] ? edges[e].to : edges[e].from;
		w->down[e] = reversed[e] ? edges[e].from : edges[e].to;
	}
	return true;
}

/* Longest path from the sources, then each node pulled down to just above its nearest successor. */
static bool assign_layers(struct scratch *s, struct work *w)
{
	size_t *indeg = scratch_alloc(s, w->n, sizeof(size_t));
	size_t *start = scratch_alloc(s, w->n + 1, sizeof(size_t));
	size_t *succ = scratch_alloc(s, w->nedges, sizeof(size_t));
	size_t *fill = scratch_alloc(s, w->n + 1, sizeof(size_t));
	size_t *topo = scratch_alloc(s, w->n, sizeof(size_t));
	size_t head = 0, tail = 0;

	if (s->failed)
		return false;
	for (size_t e = 0; e < w->nedges; e++)
		if (w->kept[e]) {
			indeg[w->down[e]]++;
			start[w->up[e] + 1]++;
		}
	for (size_t i = 0; i < w->n; i++)
		start[i + 1] += start[i];
	memcpy(fill, start, (w->n + 1) * sizeof(size_t));
	for (size_t e = 0; e < w->nedges; e++)
		if (w->kept[e])
			succ[fill[w->up[e]]++] = w->down[e];
	for (size_t i = 0; i < w->n; i++)
		if (!indeg[i])
			topo[tail++] = i;
	while (head < tail) {
		size_t u = topo[head++];
		for (size_t k = start[u]; k < start[u + 1]; k++) {
			size_t v = succ[k];
			if (w->layer[u] + 1 > w->layer[v])
				w->layer[v] = w->layer[u] + 1;
			if (--indeg[v] == 0)
				topo[tail++] = v;
		}
	}
	/* tail == n: the reversed back edges left no cycle */
	for (size_t k = tail; k-- > 0;) {
		size_t u = topo[k];
		unsigned nearest = UINT32_MAX;
		for (size_t j = start[u]; j < start[u + 1]; j++)
			nearest = MIN(nearest, w->layer[succ[j]]);
		if (nearest != UINT32_MAX && nearest - 1 > w->layer[u])
			w->layer[u] = nearest - 1;
	}
	w->nlayers = 0;
	for (size_t i = 0; i < w->n; i++)
		w->nlayers = MAX(w->nlayers, w->layer[i] + 1);
	return true;
}

struct span_key {
	size_t edge, span;
};

static int by_span_desc(const void *a, const void *b)
{
	const struct span_key *x = a, *y = b;

	if (x->span != y->span)
		return x->span > y->span ? -1 : 1;
	return x->edge < y->edge ? -1 : x->edge > y->edge;
}

/*
 * Virtual nodes for edges longer than one layer, under the cap (the longest
 * edges go straight when it is hit), and the segments between adjacent layers.
 */
static bool add_virtual_nodes(struct scratch *s, struct work *w, struct graph_layout *l, const struct layout_node_in *nodes,
			      bool *self_loop_at)
{
	size_t nvirtual = 0, nlong = 0, seg = 0, k = 0;
	struct span_key *keys;

	for (size_t e = 0; e < w->nedges; e++)
		if (w->kept[e]) {
			size_t span = w->layer[w->down[e]] - w->layer[w->up[e]];
			nvirtual += span - 1;
			nlong += span > 1;
		}
	if (nvirtual > GRAPH_LAYOUT_MAX_VIRTUAL) {
		if (!(keys = scratch_alloc(s, nlong, sizeof(*keys))))
			return false;
		for (size_t e = 0; e < w->nedges; e++)
			if (w->kept[e] && w->layer[w->down[e]] - w->layer[w->up[e]] > 1)
				keys[k++] = (struct span_key){ e, w->layer[w->down[e]] - w->layer[w->up[e]] };
		qsort(keys, nlong, sizeof(*keys), by_span_desc);
		for (k = 0; k < nlong && nvirtual > GRAPH_LAYOUT_MAX_VIRTUAL; k++) {
			l->edges[keys[k].edge].straight = true;
			nvirtual -= keys[k].span - 1;
		}
		l->reduced = true;
	}
	w->total = w->n + nvirtual;
	w->chain = scratch_alloc(s, nvirtual, sizeof(size_t));
	{
		unsigned *layer = scratch_alloc(s, w->total, sizeof(unsigned));
		double *width = scratch_alloc(s, w->total, sizeof(double));
		double *height = scratch_alloc(s, w->total, sizeof(double));
		if (s->failed)
			return false;
		memcpy(layer, w->layer, w->n * sizeof(unsigned));
		w->layer = layer;
		w->width = width;
		w->height = height;
	}
	for (size_t i = 0; i < w->n; i++) {
		w->width[i] = nodes[i].width + (self_loop_at[i] ? LOOP_EXTRA : 0);
		w->height[i] = nodes[i].height;
	}
	w->nsegs = 0;
	for (size_t e = 0; e < w->nedges; e++)
		if (w->kept[e] && !l->edges[e].straight)
			w->nsegs += w->layer[w->down[e]] - w->layer[w->up[e]];
	w->seg_up = scratch_alloc(s, w->nsegs, sizeof(size_t));
	w->seg_down = scratch_alloc(s, w->nsegs, sizeof(size_t));
	if (s->failed)
		return false;
	k = w->n;
	for (size_t e = 0; e < w->nedges; e++) {
		size_t prev;

		if (!w->kept[e] || l->edges[e].straight)
			continue;
		prev = w->up[e];
		w->chain_start[e] = k - w->n;
		for (unsigned ly = w->layer[w->up[e]] + 1; ly < w->layer[w->down[e]]; ly++) {
			w->layer[k] = ly;
			w->chain[k - w->n] = k;
			w->seg_up[seg] = prev;
			w->seg_down[seg++] = k;
			prev = k++;
		}
		w->chain_len[e] = k - w->n - w->chain_start[e];
		w->seg_up[seg] = prev;
		w->seg_down[seg++] = w->down[e];
	}
	return true;
}

/* Per-layer node lists, and each node's neighbours above and below (CSR over segments). */
static bool index_layers(struct scratch *s, struct work *w)
{
	size_t *fill;

	w->layer_start = scratch_alloc(s, w->nlayers + 1, sizeof(size_t));
	w->layer_len = scratch_alloc(s, w->nlayers + 1, sizeof(size_t));
	w->layer_nodes = scratch_alloc(s, w->total, sizeof(size_t));
	w->order_pos = scratch_alloc(s, w->total, sizeof(size_t));
	w->nb_up_start = scratch_alloc(s, w->total + 1, sizeof(size_t));
	w->nb_down_start = scratch_alloc(s, w->total + 1, sizeof(size_t));
	w->nb_up = scratch_alloc(s, w->nsegs, sizeof(size_t));
	w->nb_down = scratch_alloc(s, w->nsegs, sizeof(size_t));
	fill = scratch_alloc(s, w->total + 1, sizeof(size_t));
	if (s->failed)
		return false;
	for (size_t v = 0; v < w->total; v++)
		w->layer_len[w->layer[v]]++;
	for (unsigned ly = 1; ly <= w->nlayers; ly++)
		w->layer_start[ly] = w->layer_start[ly - 1] + w->layer_len[ly - 1];
	memset(w->layer_len, 0, (w->nlayers + 1) * sizeof(size_t));
	/* the first order: real nodes by index, then bends in the order of their edges */
	for (size_t v = 0; v < w->total; v++) {
		unsigned ly = w->layer[v];
		w->order_pos[v] = w->layer_len[ly];
		w->layer_nodes[w->layer_start[ly] + w->layer_len[ly]++] = v;
	}
	for (size_t sg = 0; sg < w->nsegs; sg++) {
		w->nb_up_start[w->seg_down[sg] + 1]++;
		w->nb_down_start[w->seg_up[sg] + 1]++;
	}
	for (size_t v = 0; v < w->total; v++) {
		w->nb_up_start[v + 1] += w->nb_up_start[v];
		w->nb_down_start[v + 1] += w->nb_down_start[v];
	}
	memcpy(fill, w->nb_up_start, (w->total + 1) * sizeof(size_t));
	for (size_t sg = 0; sg < w->nsegs; sg++)
		w->nb_up[fill[w->seg_down[sg]]++] = w->seg_up[sg];
	memcpy(fill, w->nb_down_start, (w->total + 1) * sizeof(size_t));
	for (size_t sg = 0; sg < w->nsegs; sg++)
		w->nb_down[fill[w->seg_up[sg]]++] = w->seg_down[sg];
	return true;
}

struct sort_key {
	unsigned rank;		/* compared first: keeps a cluster's nodes together */
	double key;
	size_t pos, node;
};

static int by_key(const void *a, const void *b)
{
	const struct sort_key *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* ---- clusters ------------------------------------------------------------ */

/*
 * Each node's cluster: real nodes as given, a bend as its edge's ends when
 * they agree, else as its upper end (else its lower end): the edge runs down
 * its source's band. Without clusters every rank is 0 and nothing moves.
 */
static bool assign_clusters(struct scratch *s, struct work *w, const struct graph_layout *l,
			    const struct layout_node_in *nodes)
{
	w->cluster = scratch_alloc(s, w->total, sizeof(unsigned));
	w->rank = scratch_alloc(s, w->total, sizeof(unsigned));
	if (s->failed)
		return false;
	if (!w->clustered)
		return true;
	for (size_t v = 0; v < w->n; v++)
		w->cluster[v] = nodes[v].cluster;
	for (size_t e = 0; e < w->nedges; e++) {
		unsigned cu, cd, c;

		if (!w->kept[e] || l->edges[e].straight)
			continue;
		cu = w->cluster[w->up[e]];
		cd = w->cluster[w->down[e]];
		c = cu ? cu : cd;
		for (size_t k = 0; k < w->chain_len[e]; k++)
			w->cluster[w->chain[w->chain_start[e] + k]] = c;
	}
	for (size_t v = 0; v < w->total; v++)
		w->rank[v] = w->cluster[v] ? w->cluster[v] : w->nclusters + 1;
	return true;
}

/* The first order, cluster by cluster (stable: by index within one). */
static bool order_by_cluster(struct scratch *s, struct work *w)
{
	size_t maxlen = 0;
	struct sort_key *keys;

	if (!w->clustered)
		return true;
	for (unsigned ly = 0; ly < w->nlayers; ly++)
		maxlen = MAX(maxlen, w->layer_len[ly]);
	if (!(keys = scratch_alloc(s, maxlen, sizeof(*keys))))
		return false;
	for (unsigned ly = 0; ly < w->nlayers; ly++) {
		size_t len = w->layer_len[ly], *nodes = &w->layer_nodes[w->layer_start[ly]];

		for (size_t i = 0; i < len; i++)
			keys[i] = (struct sort_key){ w->rank[nodes[i]], 0, i, nodes[i] };
		qsort(keys, len, sizeof(*keys), by_key);
		for (size_t i = 0; i < len; i++) {
			nodes[i] = keys[i].node;
			w->order_pos[keys[i].node] = i;
		}
	}
	return true;
}

/*
 * Gives each cluster (then the nodes of none) a vertical band of its own,
 * left to right by rank: the band spans its nodes (clustered ones with the
 * box's padding, and the box at least as wide as its label), and each band
 * is shifted as a whole to start node_gap after the previous one. Within a
 * layer the nodes are already in rank order, so the order is kept.
 */
static bool separate_clusters(struct scratch *s, struct work *w)
{
	size_t nbands = (size_t)w->nclusters + 1;
	double *lo = scratch_alloc(s, nbands + 1, sizeof(double)), *hi = scratch_alloc(s, nbands + 1, sizeof(double));
	double *shift = scratch_alloc(s, nbands + 1, sizeof(double)), cursor = 0;
	bool *used = scratch_alloc(s, nbands + 1, sizeof(bool));

	if (s->failed)
		return false;
	for (size_t b = 1; b <= nbands; b++) {
		lo[b] = INFINITY;
		hi[b] = -INFINITY;
	}
	for (size_t v = 0; v < w->total; v++) {
		unsigned b = w->rank[v];
		double pad = v < w->n && w->cluster[v] ? GRAPH_LAYOUT_CLUSTER_PAD : 0;
		double half = v < w->n ? w->width[v] / 2 : VIRTUAL_GAP / 2;

		used[b] = true;
		lo[b] = MIN(lo[b], w->cx[v] - half - pad);
		hi[b] = MAX(hi[b], w->cx[v] + half + pad);
	}
	for (unsigned c = 1; c <= w->nclusters; c++) {
		double box_lo = INFINITY;

		if (!used[c] || !w->opts->cluster_min_width || c > w->opts->nclusters)
			continue;
		for (size_t v = 0; v < w->n; v++)
			if (w->cluster[v] == c)
				box_lo = MIN(box_lo, w->cx[v] - w->width[v] / 2 - GRAPH_LAYOUT_CLUSTER_PAD);
		if (box_lo != INFINITY)
			hi[c] = MAX(hi[c], box_lo + w->opts->cluster_min_width[c - 1]);
	}
	for (size_t b = 1; b <= nbands; b++) {
		if (!used[b])
			continue;
		shift[b] = cursor - lo[b];
		cursor = hi[b] + shift[b] + w->opts->node_gap;
	}
	for (size_t v = 0; v < w->total; v++)
		w->cx[v] += shift[w->rank[v]];
	return true;
}

/* ---- ordering ------------------------------------------------------------ */

struct pair {
	size_t a, b;
};

static int by_pair(const void *x, const void *y)
{
	const struct pair *p = x, *q = y;

	if (p->a != q->a)
		return p->a < q->a ? -1 : 1;
	return p->b < q->b ? -1 : p->b > q->b;
}

/* Crossings between every pair of adjacent layers: inversions of the lower ends, counted with a Fenwick tree. */
static size_t count_crossings(struct work *w, struct pair *pairs, size_t *tree)
{
	size_t total = 0;

	for (unsigned ly = 0; ly + 1 < w->nlayers; ly++) {
		size_t np = 0, below = w->layer_len[ly + 1];

		for (size_t i = 0; i < w->layer_len[ly]; i++) {
			size_t u = w->layer_nodes[w->layer_start[ly] + i];
			for (size_t k = w->nb_down_start[u]; k < w->nb_down_start[u + 1]; k++)
				pairs[np++] = (struct pair){ w->order_pos[u], w->order_pos[w->nb_down[k]] };
		}
		if (np < 2)
			continue;
		qsort(pairs, np, sizeof(*pairs), by_pair);
		memset(tree, 0, (below + 1) * sizeof(size_t));
		for (size_t i = 0; i < np; i++) {
			size_t seen_le = 0;
			/* how many earlier lower ends are <= this one; the rest cross it */
			for (size_t j = pairs[i].b + 1; j > 0; j -= j & -j)
				seen_le += tree[j];
			total += i - seen_le;
			for (size_t j = pairs[i].b + 1; j <= below; j += j & -j)
				tree[j]++;
		}
	}
	return total;
}

/* Reorders layer ly by the mean position of each node's neighbours in the layer above (down) or below. */
static void sweep_layer(struct work *w, unsigned ly, bool down, struct sort_key *keys)
{
	size_t len = w->layer_len[ly], *nodes = &w->layer_nodes[w->layer_start[ly]];

	for (size_t i = 0; i < len; i++) {
		size_t v = nodes[i];
		const size_t *start = down ? w->nb_up_start : w->nb_down_start, *nb = down ? w->nb_up : w->nb_down;
		double sum = 0;
		size_t cnt = start[v + 1] - start[v];

		for (size_t k = start[v]; k < start[v + 1]; k++)
			sum += (double)w->order_pos[nb[k]];
		/* a node with no neighbours there keeps its place */
		keys[i] = (struct sort_key){ w->rank[v], cnt ? sum / (double)cnt : (double)i, i, v };
	}
	qsort(keys, len, sizeof(*keys), by_key);
	for (size_t i = 0; i < len; i++) {
		nodes[i] = keys[i].node;
		w->order_pos[keys[i].node] = i;
	}
}

static bool order_layers(struct scratch *s, struct work *w, struct graph_layout *l)
{
	size_t maxlen = 0;
	struct sort_key *keys;
	struct pair *pairs;
	size_t *tree, *best;
	size_t best_crossings;

	for (unsigned ly = 0; ly < w->nlayers; ly++)
		maxlen = MAX(maxlen, w->layer_len[ly]);
	keys = scratch_alloc(s, maxlen, sizeof(*keys));
	pairs = scratch_alloc(s, w->nsegs, sizeof(*pairs));
	tree = scratch_alloc(s, maxlen + 1, sizeof(size_t));
	best = scratch_alloc(s, w->total, sizeof(size_t));
	if (s->failed)
		return false;
	best_crossings = count_crossings(w, pairs, tree);
	memcpy(best, w->layer_nodes, w->total * sizeof(size_t));
	for (unsigned sweep = 0; sweep < w->opts->sweeps && best_crossings > 0; sweep++) {
		bool down = sweep % 2 == 0;
		size_t c;

		if (down)
			for (unsigned ly = 1; ly < w->nlayers; ly++)
				sweep_layer(w, ly, true, keys);
		else
			for (unsigned ly = w->nlayers - 1; ly-- > 0;)
				sweep_layer(w, ly, false, keys);
		c = count_crossings(w, pairs, tree);
		if (c < best_crossings) {
			best_crossings = c;
			memcpy(best, w->layer_nodes, w->total * sizeof(size_t));
		}
	}
	memcpy(w->layer_nodes, best, w->total * sizeof(size_t));
	for (unsigned ly = 0; ly < w->nlayers; ly++)
		for (size_t i = 0; i < w->layer_len[ly]; i++)
			w->order_pos[w->layer_nodes[w->layer_start[ly] + i]] = i;
	l->crossings = best_crossings;
	return true;
}

/* ---- coordinates --------------------------------------------------------- */

/* The least distance between the centres of neighbours a (left) and b in one layer. */
static double separation(const struct work *w, size_t a, size_t b)
{
	bool va = a >= w->n, vb = b >= w->n;
	double gap = va && vb ? VIRTUAL_GAP : va || vb ? (w->opts->node_gap + VIRTUAL_GAP) / 2 : w->opts->node_gap;

	return w->width[a] / 2 + w->width[b] / 2 + gap;
}

/*
 * Moves layer ly's nodes toward want[] keeping their order and separation:
 * pushed right from the left, pushed left from the right, and the two
 * averaged (both keep every separation, so their mean does too).
 */
static void place_layer(struct work *w, unsigned ly, const double *want, double *left, double *right)
{
	size_t len = w->layer_len[ly], *nodes = &w->layer_nodes[w->layer_start[ly]];

	for (size_t i = 0; i < len; i++)
		left[i] = i ? MAX(want[i], left[i - 1] + separation(w, nodes[i - 1], nodes[i])) : want[i];
	for (size_t i = len; i-- > 0;)
		right[i] = i + 1 < len ? MIN(want[i], right[i + 1] - separation(w, nodes[i], nodes[i + 1])) : want[i];
	for (size_t i = 0; i < len; i++)
		w->cx[nodes[i]] = (left[i] + right[i]) / 2;
}

static double neighbour_mean(const struct work *w, size_t v, bool above, bool *found)
{
	const size_t *start = above ? w->nb_up_start : w->nb_down_start, *nb = above ? w->nb_up : w->nb_down;
	double sum = 0;

	*found = start[v + 1] > start[v];
	for (size_t k = start[v]; k < start[v + 1]; k++)
		sum += w->cx[nb[k]];
	return *found ? sum / (double)(start[v + 1] - start[v]) : w->cx[v];
}

static bool assign_coordinates(struct scratch *s, struct work *w)
{
	size_t maxlen = 0;
	double *want, *left, *right, y = 0;

	for (unsigned ly = 0; ly < w->nlayers; ly++)
		maxlen = MAX(maxlen, w->layer_len[ly]);
	want = scratch_alloc(s, maxlen, sizeof(double));
	left = scratch_alloc(s, maxlen, sizeof(double));
	right = scratch_alloc(s, maxlen, sizeof(double));
	w->cx = scratch_alloc(s, w->total, sizeof(double));
	w->layer_top = scratch_alloc(s, w->nlayers + 1, sizeof(double));
	w->layer_height = scratch_alloc(s, w->nlayers + 1, sizeof(double));
	if (s->failed)
		return false;
	for (unsigned ly = 0; ly < w->nlayers; ly++) {
		size_t len = w->layer_len[ly], *nodes = &w->layer_nodes[w->layer_start[ly]];
		double x = 0;

		for (size_t i = 0; i < len; i++) {
			w->layer_height[ly] = MAX(w->layer_height[ly], w->height[nodes[i]]);
			x = i ? x + separation(w, nodes[i - 1], nodes[i]) : 0;
			w->cx[nodes[i]] = x;
		}
		/* every layer starts centred on x = 0 */
		for (size_t i = 0; i < len; i++)
			w->cx[nodes[i]] -= x / 2;
		w->layer_top[ly] = y;
		y += w->layer_height[ly] + w->opts->layer_gap;
	}
	for (unsigned pass = 0; pass < PLACE_PASSES; pass++) {
		bool down = pass % 2 == 0;
		for (unsigned k = 0; k < w->nlayers; k++) {
			unsigned ly = down ? k : w->nlayers - 1 - k;
			size_t len = w->layer_len[ly], *nodes = &w->layer_nodes[w->layer_start[ly]];
			for (size_t i = 0; i < len; i++) {
				bool found;
				want[i] = neighbour_mean(w, nodes[i], down, &found);
				if (!found)
					want[i] = neighbour_mean(w, nodes[i], !down, &found);
			}
			place_layer(w, ly, want, left, right);
		}
	}
	return true;
}

/* ---- output -------------------------------------------------------------- */

static double node_left(const struct work *w, size_t v)
{
	return w->cx[v] - w->width[v] / 2;
}

struct port {
	size_t edge;
	double other_x;		/* where the edge goes: ports are spread in that order */
	bool top;		/* on the box's top border (else its bottom) */
};

static int by_port(const void *a, const void *b)
{
	const struct port *x = a, *y = b;

	if (x->other_x != y->other_x)
		return x->other_x < y->other_x ? -1 : 1;
	return x->edge < y->edge ? -1 : x->edge > y->edge;
}

/* The x of the point next to the upper (first) or lower (last) end of edge e's path. */
static double next_to_end(const struct work *w, const struct graph_layout *l, size_t e, bool upper_end)
{
	if (!l->edges[e].straight && w->chain_len[e])
		return w->cx[w->chain[w->chain_start[e] + (upper_end ? 0 : w->chain_len[e] - 1)]];
	return w->cx[upper_end ? w->down[e] : w->up[e]];
}

static bool route_edges(struct scratch *s, struct work *w, struct graph_layout *l, const double *box_width)
{
	size_t *port_start = scratch_alloc(s, w->n + 1, sizeof(size_t)), *fill = scratch_alloc(s, w->n + 1, sizeof(size_t));
	struct port *ports = scratch_alloc(s, 2 * w->nedges, sizeof(struct port));
	double *x_up = scratch_alloc(s, w->nedges, sizeof(double)), *x_down = scratch_alloc(s, w->nedges, sizeof(double));

	if (s->failed)
		return false;
	/* each node's edge ends, bucketed by node (CSR) */
	for (size_t e = 0; e < w->nedges; e++)
		if (w->kept[e]) {
			port_start[w->up[e] + 1]++;
			port_start[w->down[e] + 1]++;
		}
	for (size_t v = 0; v < w->n; v++)
		port_start[v + 1] += port_start[v];
	memcpy(fill, port_start, (w->n + 1) * sizeof(size_t));
	for (size_t e = 0; e < w->nedges; e++)
		if (w->kept[e]) {
			ports[fill[w->down[e]]++] = (struct port){ e, next_to_end(w, l, e, false), true };
			ports[fill[w->up[e]]++] = (struct port){ e, next_to_end(w, l, e, true), false };
		}
	/* spread the ends of a node's edges along its border, in the order they leave */
	for (size_t v = 0; v < w->n; v++) {
		size_t first = port_start[v], end = port_start[v + 1], ntop = 0;

		qsort(ports + first, end - first, sizeof(*ports), by_port);
		for (size_t k = first; k < end; k++)
			ntop += ports[k].top;
		for (size_t k = first, it = 0, ib = 0; k < end; k++) {
			size_t cnt = ports[k].top ? ntop : end - first - ntop, idx = ports[k].top ? ++it : ++ib;
			double x = node_left(w, v) + box_width[v] * (double)idx / (double)(cnt + 1);
			if (ports[k].top)
				x_down[ports[k].edge] = x;
			else
				x_up[ports[k].edge] = x;
		}
	}
	for (size_t e = 0; e < w->nedges; e++) {
		struct layout_edge *le = &l->edges[e];
		size_t u = w->up[e], v = w->down[e], np = 0, nbends;

		if (!w->kept[e])
			continue;
		nbends = le->straight ? 0 : w->chain_len[e];
		if (!(le->points = malloc((2 + 2 * nbends) * sizeof(*le->points))))
			return false;
		le->points[np++] = (struct layout_point){ x_up[e], l->pos[u].y + w->height[u] };
		for (size_t k = 0; k < nbends; k++) {
			size_t b = w->chain[w->chain_start[e] + k];
			le->points[np++] = (struct layout_point){ w->cx[b], w->layer_top[w->layer[b]] };
			le->points[np++] = (struct layout_point){ w->cx[b], w->layer_top[w->layer[b]] + w->layer_height[w->layer[b]] };
		}
		le->points[np++] = (struct layout_point){ x_down[e], l->pos[v].y };
		le->npoints = np;
		if (le->reversed)
			for (size_t i = 0; i < np / 2; i++) {
				struct layout_point t = le->points[i];
				le->points[i] = le->points[np - 1 - i];
				le->points[np - 1 - i] = t;
			}
	}
	return true;
}

/* Each cluster's box: its placed nodes' bounding box, padded, with the label's room on top. */
static void cluster_boxes(const struct work *w, struct graph_layout *l, const struct graph_layout_options *opts)
{
	for (unsigned c = 1; c <= w->nclusters; c++) {
		struct layout_cluster *box = &l->clusters[c - 1];
		double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;

		for (size_t v = 0; v < w->n; v++)
			if (w->cluster[v] == c) {
				x0 = MIN(x0, l->pos[v].x);
				y0 = MIN(y0, l->pos[v].y);
				x1 = MAX(x1, l->pos[v].x + w->width[v]);
				y1 = MAX(y1, l->pos[v].y + w->height[v]);
			}
		if (x0 == INFINITY)
			continue;
		box->placed = true;
		box->x = x0 - GRAPH_LAYOUT_CLUSTER_PAD;
		box->y = y0 - GRAPH_LAYOUT_CLUSTER_PAD - GRAPH_LAYOUT_CLUSTER_LABEL;
		box->width = x1 + GRAPH_LAYOUT_CLUSTER_PAD - box->x;
		if (opts->cluster_min_width && c <= opts->nclusters)
			box->width = MAX(box->width, opts->cluster_min_width[c - 1]);
		box->height = y1 + GRAPH_LAYOUT_CLUSTER_PAD - box->y;
		l->width = MAX(l->width, box->x + box->width);
		l->height = MAX(l->height, box->y + box->height);
	}
}

static void self_loop(struct graph_layout *l, size_t e, size_t v, double box_width, double height)
{
	struct layout_point *p = l->edges[e].points;
	double right = l->pos[v].x + box_width, y0 = l->pos[v].y + height * 0.3, y1 = l->pos[v].y + height * 0.7;

	p[0] = (struct layout_point){ right, y0 };
	p[1] = (struct layout_point){ right + LOOP_EXTRA - 6, y0 };
	p[2] = (struct layout_point){ right + LOOP_EXTRA - 6, y1 };
	p[3] = (struct layout_point){ right, y1 };
	l->edges[e].npoints = 4;
}

struct hs_error *graph_layout_compute(const struct layout_node_in *nodes, size_t nnodes,
				      const struct layout_edge_in *edges, size_t nedges,
				      const struct graph_layout_options *opts_in, struct graph_layout **ret)
{
	struct graph_layout_options opts;
	struct scratch s = { .n = 0 };
	struct work w = { .n = 0 };
	struct graph_layout *l;
	bool *reversed, *self_loop_at;
	double *box_width, min_x = INFINITY;
	size_t kept_edges = 0;

	*ret = NULL;
	graph_layout_options_default(&opts);
	if (opts_in) {
		opts = *opts_in;
		opts.max_nodes = MIN(opts.max_nodes, (size_t)GRAPH_LAYOUT_MAX_NODES);
		opts.max_edges = MIN(opts.max_edges, (size_t)GRAPH_LAYOUT_MAX_EDGES);
	}
	for (size_t e = 0; e < nedges; e++)
		if (edges[e].from >= nnodes || edges[e].to >= nnodes)
			return hs_error_create(HS_ERR_INVALID, "edge %zu joins node %zu to node %zu of %zu", e, edges[e].from,
					       edges[e].to, nnodes);
	for (size_t i = 0; i < nnodes; i++) {
		if (nodes[i].cluster > GRAPH_LAYOUT_MAX_CLUSTERS)
			return hs_error_create(HS_ERR_INVALID, "node %zu is in cluster %u, over %u", i, nodes[i].cluster,
					       GRAPH_LAYOUT_MAX_CLUSTERS);
		w.nclusters = MAX(w.nclusters, nodes[i].cluster);
	}
	if (!(l = calloc(1, sizeof(*l))))
		return &hs_error_nomem;
	l->nnodes = nnodes;
	l->nedges = nedges;
	l->pos = calloc(nnodes ? nnodes : 1, sizeof(*l->pos));
	l->placed = calloc(nnodes ? nnodes : 1, sizeof(*l->placed));
	l->edges = calloc(nedges ? nedges : 1, sizeof(*l->edges));
	if (!l->pos || !l->placed || !l->edges)
		goto nomem;
	l->nclusters = w.nclusters;
	if (w.nclusters && !(l->clusters = calloc(w.nclusters, sizeof(*l->clusters))))
		goto nomem;

	w.opts = &opts;
	w.n = MIN(nnodes, opts.max_nodes);
	for (size_t i = 0; i < w.n; i++)
		w.clustered |= nodes[i].cluster != 0;
	w.nedges = nedges;
	l->reduced = w.n < nnodes;
	w.kept = scratch_alloc(&s, nedges, sizeof(bool));
	w.up = scratch_alloc(&s, nedges, sizeof(size_t));
	w.down = scratch_alloc(&s, nedges, sizeof(size_t));
	w.chain_start = scratch_alloc(&s, nedges, sizeof(size_t));
	w.chain_len = scratch_alloc(&s, nedges, sizeof(size_t));
	w.layer = scratch_alloc(&s, w.n, sizeof(unsigned));
	reversed = scratch_alloc(&s, nedges, sizeof(bool));
	self_loop_at = scratch_alloc(&s, w.n, sizeof(bool));
	box_width = scratch_alloc(&s, w.n, sizeof(double));
	if (s.failed)
		goto nomem;
	for (size_t e = 0; e < nedges; e++) {
		struct layout_edge *le = &l->edges[e];
		if (edges[e].from >= w.n || edges[e].to >= w.n || kept_edges >= opts.max_edges) {
			le->dropped = true;
			l->reduced = true;
			continue;
		}
		kept_edges++;
		if (edges[e].from == edges[e].to) {
			le->self_loop = true;
			self_loop_at[edges[e].from] = true;
		} else {
			w.kept[e] = true;
		}
	}
	if (!break_cycles(&s, &w, edges, reversed) || !assign_layers(&s, &w) ||
	    !add_virtual_nodes(&s, &w, l, nodes, self_loop_at) || !assign_clusters(&s, &w, l, nodes) ||
	    !index_layers(&s, &w) || !order_by_cluster(&s, &w) || !order_layers(&s, &w, l) || !assign_coordinates(&s, &w) ||
	    (w.clustered && !separate_clusters(&s, &w)))
		goto nomem;
	l->layers = w.nlayers;

	if (w.clustered) {
		/* the bands start at x = 0, padding included; room for the top boxes' labels */
		for (unsigned ly = 0; ly < w.nlayers; ly++)
			w.layer_top[ly] += GRAPH_LAYOUT_CLUSTER_PAD + GRAPH_LAYOUT_CLUSTER_LABEL;
	} else {
		/* shift everything right of x = 0 */
		for (size_t v = 0; v < w.total; v++)
			min_x = MIN(min_x, node_left(&w, v));
		for (size_t v = 0; v < w.total; v++)
			w.cx[v] -= w.n ? min_x : 0;
	}
	for (size_t v = 0; v < w.n; v++) {
		box_width[v] = nodes[v].width;
		l->pos[v] = (struct layout_point){ node_left(&w, v), w.layer_top[w.layer[v]] + (w.layer_height[w.layer[v]] - w.height[v]) / 2 };
		l->placed[v] = true;
		l->width = MAX(l->width, node_left(&w, v) + w.width[v]);
	}
	for (size_t v = w.n; v < w.total; v++)
		l->width = MAX(l->width, w.cx[v]);
	if (w.nlayers)
		l->height = w.layer_top[w.nlayers - 1] + w.layer_height[w.nlayers - 1];
	if (w.clustered)
		cluster_boxes(&w, l, &opts);
	for (size_t e = 0; e < nedges; e++)
		l->edges[e].reversed = w.kept[e] && reversed[e];
	if (!route_edges(&s, &w, l, box_width))
		goto nomem;
	for (size_t e = 0; e < nedges; e++)
		if (l->edges[e].self_loop) {
			if (!(l->edges[e].points = malloc(4 * sizeof(*l->edges[e].points))))
				goto nomem;
			self_loop(l, e, edges[e].from, box_width[edges[e].from], nodes[edges[e].from].height);
		}
	scratch_free(&s);
	*ret = l;
	return NULL;
nomem:
	scratch_free(&s);
	graph_layout_destroy(l);
	return &hs_error_nomem;
}

void graph_layout_destroy(struct graph_layout *l)
{
	if (!l)
		return;
	if (l->edges)
		for (size_t e = 0; e < l->nedges; e++)
			free(l->edges[e].points);
	free(l->edges);
	free(l->clusters);
	free(l->pos);
	free(l->placed);
	free(l);
}

bool graph_layout_edge_midpoint(const struct layout_edge *e, struct layout_point *ret)
{
	double total = 0, half;

	if (e->npoints < 2)
		return false;
	for (size_t i = 1; i < e->npoints; i++)
		total += hypot(e->points[i].x - e->points[i - 1].x, e->points[i].y - e->points[i - 1].y);
	half = total / 2;
	for (size_t i = 1; i < e->npoints; i++) {
		double seg = hypot(e->points[i].x - e->points[i - 1].x, e->points[i].y - e->points[i - 1].y);
		if (seg >= half && seg > 0) {
			double f = half / seg;
			ret->x = e->points[i - 1].x + f * (e->points[i].x - e->points[i - 1].x);
			ret->y = e->points[i - 1].y + f * (e->points[i].y - e->points[i - 1].y);
			return true;
		}
		half -= seg;
	}
	*ret = e->points[e->npoints - 1];
	return true;
}
