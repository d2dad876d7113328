/*
 * The layered layout the HTML report draws the wait-for graph with: boxes
 * never overlap, every edge runs downward unless it was reversed to break a
 * cycle (and then it runs upward), long edges bend around the boxes in the
 * layers they cross, the same input always gives the same drawing, and
 * input over the caps is cut down and says so instead of taking forever.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/graph_layout.h"
#include "tests/unit/unit.h"


static struct graph_layout *layout(const struct layout_node_in *nodes, size_t n, const struct layout_edge_in *edges,
				   size_t m)
{
	struct graph_layout *l;
	struct hs_error *err = graph_layout_compute(nodes, n, edges, m, NULL, &l);

	if (err) {
		fprintf(stderr, "graph_layout_compute: %s\n", hs_error_message(err));
		hs_error_destroy(err);
		exit(1);
	}
	return l;
}

static bool overlap(const struct graph_layout *l, const struct layout_node_in *nodes, size_t a, size_t b)
{
	const struct layout_point *p = &l->pos[a], *q = &l->pos[b];

	return p->x < q->x + nodes[b].width && q->x < p->x + nodes[a].width && p->y < q->y + nodes[b].height &&
	       q->y < p->y + nodes[a].height;
}

/* The invariants every layout must keep. */
static void check_layout(const struct graph_layout *l, const struct layout_node_in *nodes, size_t n,
			 const struct layout_edge_in *edges, size_t m)
{
	for (size_t a = 0; a < n; a++) {
		if (!l->placed[a])
			continue;
		CHECK(l->pos[a].x >= -1e-9 && l->pos[a].y >= -1e-9);
		CHECK(l->pos[a].x + nodes[a].width <= l->width + 1e-6);
		CHECK(l->pos[a].y + nodes[a].height <= l->height + 1e-6);
		for (size_t b = a + 1; b < n; b++)
			if (l->placed[b] && overlap(l, nodes, a, b)) {
				fprintf(stderr, "nodes %zu and %zu overlap\n", a, b);
				failures++;
			}
	}
	for (size_t e = 0; e < m; e++) {
		const struct layout_edge *le = &l->edges[e];
		if (le->dropped) {
			CHECK(le->npoints == 0);
			continue;
		}
		CHECK(le->npoints >= 2);
		for (size_t i = 0; i < le->npoints; i++)
			CHECK(isfinite(le->points[i].x) && isfinite(le->points[i].y));
		if (le->self_loop) {
			CHECK(edges[e].from == edges[e].to && le->npoints == 4);
			continue;
		}
		/* downward, or upward all the way when reversed */
		for (size_t i = 1; i < le->npoints; i++)
			if (le->reversed ? le->points[i].y > le->points[i - 1].y + 1e-9
					 : le->points[i].y < le->points[i - 1].y - 1e-9) {
				fprintf(stderr, "edge %zu (%zu -> %zu, %s) goes the wrong way at point %zu\n", e, edges[e].from,
					edges[e].to, le->reversed ? "reversed" : "forward", i);
				failures++;
				break;
			}
		/* it leaves its source's border and reaches its target's */
		{
			const struct layout_point *src = &l->pos[edges[e].from], *dst = &l->pos[edges[e].to];
			const struct layout_point *first = &le->points[0], *last = &le->points[le->npoints - 1];
			size_t f = edges[e].from, t = edges[e].to;
			CHECK(first->x >= src->x - 1e-6 && first->x <= src->x + nodes[f].width + 1e-6);
			CHECK(fabs(first->y - (le->reversed ? src->y : src->y + nodes[f].height)) < 1e-6);
			CHECK(last->x >= dst->x - 1e-6 && last->x <= dst->x + nodes[t].width + 1e-6);
			CHECK(fabs(last->y - (le->reversed ? dst->y + nodes[t].height : dst->y)) < 1e-6);
		}
		/* vertical runs through a layer (bends) never pass through a box */
		for (size_t i = 1; i < le->npoints; i++) {
			const struct layout_point *p = &le->points[i - 1], *q = &le->points[i];
			if (p->x != q->x || p->y == q->y || le->straight)
				continue;
			for (size_t v = 0; v < n; v++) {
				double lo = fmin(p->y, q->y), hi = fmax(p->y, q->y);
				if (!l->placed[v] || v == edges[e].from || v == edges[e].to)
					continue;
				if (p->x > l->pos[v].x && p->x < l->pos[v].x + nodes[v].width && lo < l->pos[v].y + nodes[v].height &&
				    hi > l->pos[v].y) {
					fprintf(stderr, "edge %zu runs through node %zu\n", e, v);
					failures++;
				}
			}
		}
	}
}

static bool same_layout(const struct graph_layout *a, const struct graph_layout *b)
{
	if (a->nnodes != b->nnodes || a->nedges != b->nedges || a->width != b->width || a->height != b->height ||
	    a->crossings != b->crossings || memcmp(a->pos, b->pos, a->nnodes * sizeof(*a->pos)) != 0)
		return false;
	for (size_t e = 0; e < a->nedges; e++)
		if (a->edges[e].npoints != b->edges[e].npoints || a->edges[e].reversed != b->edges[e].reversed ||
		    (a->edges[e].npoints &&
		     memcmp(a->edges[e].points, b->edges[e].points, a->edges[e].npoints * sizeof(struct layout_point)) != 0))
			return false;
	return true;
}

static uint64_t rng_state = 0x243f6a8885a308d3ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static void fill_nodes(struct layout_node_in *nodes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		nodes[i] = (struct layout_node_in){ 40 + (double)(rng() % 200), 24 + (double)(rng() % 3) * 8, 0 };
}

static void test_chain(void)
{
	struct layout_node_in nodes[3] = { { 100, 30, 0 }, { 60, 30, 0 }, { 80, 40, 0 } };
	struct layout_edge_in edges[2] = { { 0, 1 }, { 1, 2 } };
	struct graph_layout *l = layout(nodes, 3, edges, 2);

	check_layout(l, nodes, 3, edges, 2);
	CHECK(l->layers == 3);
	CHECK(l->pos[0].y < l->pos[1].y && l->pos[1].y < l->pos[2].y);
	CHECK(!l->edges[0].reversed && !l->edges[1].reversed && l->crossings == 0 && !l->reduced);
	/* a chain is drawn straight: every centre on one vertical line */
	CHECK(fabs((l->pos[0].x + 50) - (l->pos[1].x + 30)) < 1e-6 && fabs((l->pos[1].x + 30) - (l->pos[2].x + 40)) < 1e-6);
	graph_layout_destroy(l);
}

/* A lock cycle: a → b → c → a. One edge is reversed to break it, and points up. */
static void test_cycle(void)
{
	struct layout_node_in nodes[3] = { { 80, 30, 0 }, { 80, 30, 0 }, { 80, 30, 0 } };
	struct layout_edge_in edges[3] = { { 0, 1 }, { 1, 2 }, { 2, 0 } };
	struct graph_layout *l = layout(nodes, 3, edges, 3);
	size_t reversed = 0;

	check_layout(l, nodes, 3, edges, 3);
	for (size_t e = 0; e < 3; e++)
		reversed += l->edges[e].reversed;
	CHECK(reversed == 1 && l->edges[2].reversed);
	CHECK(l->layers == 3);
	graph_layout_destroy(l);

	/* two threads waiting on each other, and a self-deadlock */
	struct layout_edge_in pair[3] = { { 0, 1 }, { 1, 0 }, { 2, 2 } };
	l = layout(nodes, 3, pair, 3);
	check_layout(l, nodes, 3, pair, 3);
	CHECK(!l->edges[0].reversed && l->edges[1].reversed && l->edges[2].self_loop);
	CHECK(l->edges[2].points[1].x > l->pos[2].x + nodes[2].width);
	graph_layout_destroy(l);
}

/* a → b → c → d plus a → d: the long edge bends around b and c. */
static void test_long_edge(void)
{
	struct layout_node_in nodes[4] = { { 80, 30, 0 }, { 200, 30, 0 }, { 200, 30, 0 }, { 80, 30, 0 } };
	struct layout_edge_in edges[4] = { { 0, 1 }, { 1, 2 }, { 2, 3 }, { 0, 3 } };
	struct graph_layout *l = layout(nodes, 4, edges, 4);

	check_layout(l, nodes, 4, edges, 4);
	CHECK(l->layers == 4);
	CHECK(l->edges[3].npoints == 6 && !l->edges[3].straight);
	graph_layout_destroy(l);
}

/* A tree never needs a crossing; K3,3 always has some. */
static void test_crossings(void)
{
	struct layout_node_in nodes[13];
	struct layout_edge_in tree[12], k33[9];
	struct graph_layout *l;

	for (size_t i = 0; i < 13; i++)
		nodes[i] = (struct layout_node_in){ 50, 20, 0 };
	/* children listed in an order that crosses if left as given */
	for (size_t i = 0; i < 3; i++)
		tree[i] = (struct layout_edge_in){ 0, 1 + i };
	for (size_t i = 0; i < 9; i++)
		tree[3 + i] = (struct layout_edge_in){ 1 + (i * 2) % 3, 4 + i };
	l = layout(nodes, 13, tree, 12);
	check_layout(l, nodes, 13, tree, 12);
	CHECK(l->crossings == 0);
	graph_layout_destroy(l);

	for (size_t i = 0; i < 9; i++)
		k33[i] = (struct layout_edge_in){ i / 3, 3 + i % 3 };
	l = layout(nodes, 6, k33, 9);
	check_layout(l, nodes, 6, k33, 9);
	CHECK(l->crossings == 9);	/* K3,3 drawn in two layers has exactly 9, whatever the order */
	graph_layout_destroy(l);
}

/* 1000 waiters on one lock owner: two layers, no overlaps, all arrows meet the owner's top. */
static void test_fan_in(void)
{
	size_t n = 1001;
	struct layout_node_in *nodes = calloc(n, sizeof(*nodes));
	struct layout_edge_in *edges = calloc(n - 1, sizeof(*edges));
	struct graph_layout *l;

	for (size_t i = 0; i < n; i++)
		nodes[i] = (struct layout_node_in){ 90, 30, 0 };
	for (size_t i = 1; i < n; i++)
		edges[i - 1] = (struct layout_edge_in){ i, 0 };
	l = layout(nodes, n, edges, n - 1);
	check_layout(l, nodes, n, edges, n - 1);
	CHECK(l->layers == 2 && l->crossings == 0);
	graph_layout_destroy(l);
	free(nodes);
	free(edges);
}

static void test_random(void)
{
	for (unsigned round = 0; round < 40; round++) {
		size_t n = 2 + rng() % (round < 30 ? 40 : 300), m = rng() % (3 * n);
		struct layout_node_in *nodes = calloc(n, sizeof(*nodes));
		struct layout_edge_in *edges = calloc(m ? m : 1, sizeof(*edges));
		struct graph_layout *a, *b;

		fill_nodes(nodes, n);
		for (size_t e = 0; e < m; e++)
			edges[e] = (struct layout_edge_in){ rng() % n, rng() % n };
		a = layout(nodes, n, edges, m);
		b = layout(nodes, n, edges, m);
		check_layout(a, nodes, n, edges, m);
		CHECK(same_layout(a, b));
		CHECK(!a->reduced);
		graph_layout_destroy(a);
		graph_layout_destroy(b);
		free(nodes);
		free(edges);
	}
}

/* Over the caps: the first 2000 nodes and 8000 edges are laid out, the rest dropped, and `reduced` says so. */
static void test_caps(void)
{
	size_t n = 2600, m = 9000;
	struct layout_node_in *nodes = calloc(n, sizeof(*nodes));
	struct layout_edge_in *edges = calloc(m, sizeof(*edges));
	struct graph_layout *l;
	size_t laid = 0;

	fill_nodes(nodes, n);
	for (size_t e = 0; e < m; e++)
		edges[e] = (struct layout_edge_in){ rng() % n, rng() % n };
	l = layout(nodes, n, edges, m);
	CHECK(l->reduced);
	for (size_t v = 0; v < n; v++)
		CHECK(l->placed[v] == (v < GRAPH_LAYOUT_MAX_NODES));
	for (size_t e = 0; e < m; e++) {
		bool in = edges[e].from < GRAPH_LAYOUT_MAX_NODES && edges[e].to < GRAPH_LAYOUT_MAX_NODES;
		if (!in)
			CHECK(l->edges[e].dropped);
		laid += !l->edges[e].dropped;
	}
	CHECK(laid <= GRAPH_LAYOUT_MAX_EDGES);
	graph_layout_destroy(l);

	/* a long chain with edges from its head to everything: bends over the cap go straight */
	n = 1500;
	m = 2 * n - 3;
	for (size_t i = 0; i + 1 < n; i++)
		edges[i] = (struct layout_edge_in){ i, i + 1 };
	for (size_t i = 2; i < n; i++)
		edges[n - 1 + i - 2] = (struct layout_edge_in){ 0, i };
	l = layout(nodes, n, edges, m);
	CHECK(l->reduced && l->layers == n);
	for (size_t e = 0, straight = 0; e < m; e++) {
		straight += l->edges[e].straight;
		if (e == m - 1)
			CHECK(straight > 0);
	}
	graph_layout_destroy(l);
	free(nodes);
	free(edges);
}

static void test_edge_cases(void)
{
	struct layout_node_in nodes[2] = { { 10, 10, 0 }, { 10, 10, 0 } };
	struct layout_edge_in bad = { 0, 2 };
	struct graph_layout *l;
	struct hs_error *err;
	struct layout_point mid;

	l = layout(NULL, 0, NULL, 0);
	CHECK(l->width == 0 && l->height == 0 && l->layers == 0);
	graph_layout_destroy(l);
	l = layout(nodes, 2, NULL, 0);
	check_layout(l, nodes, 2, NULL, 0);
	CHECK(l->layers == 1);
	graph_layout_destroy(l);
	err = graph_layout_compute(nodes, 2, &bad, 1, NULL, &l);
	CHECK(err && err->kind == HS_ERR_INVALID && l == NULL);
	hs_error_destroy(err);

	struct layout_edge_in one = { 0, 1 };
	l = layout(nodes, 2, &one, 1);
	CHECK(graph_layout_edge_midpoint(&l->edges[0], &mid));
	CHECK(mid.y > l->pos[0].y + 10 && mid.y < l->pos[1].y);
	graph_layout_destroy(l);
	graph_layout_destroy(NULL);
}

static bool rect_overlap(double ax, double ay, double aw, double ah, double bx, double by, double bw, double bh)
{
	return ax < bx + bw && bx < ax + aw && ay < by + bh && by < ay + ah;
}

/*
 * Clusters (a box per process in the HTML): every clustered node inside its
 * cluster's box, no box overlapping another or a node not its own, each box
 * at least its minimum width and inside the drawing, the same input the
 * same drawing; and every other invariant as without clusters.
 */
static void check_clusters(const struct graph_layout *l, const struct layout_node_in *nodes, size_t n,
			   const double *min_width, size_t nclusters)
{
	for (size_t c = 0; c < l->nclusters; c++) {
		const struct layout_cluster *b = &l->clusters[c];
		bool any = false;

		for (size_t v = 0; v < n; v++)
			any |= l->placed[v] && nodes[v].cluster == c + 1;
		CHECK(b->placed == any);
		if (!b->placed)
			continue;
		CHECK(b->x >= -1e-9 && b->y >= -1e-9 && b->x + b->width <= l->width + 1e-6 && b->y + b->height <= l->height + 1e-6);
		if (min_width && c < nclusters)
			CHECK(b->width >= min_width[c] - 1e-9);
		for (size_t d = c + 1; d < l->nclusters; d++) {
			const struct layout_cluster *o = &l->clusters[d];
			if (o->placed && rect_overlap(b->x, b->y, b->width, b->height, o->x, o->y, o->width, o->height)) {
				fprintf(stderr, "cluster boxes %zu and %zu overlap\n", c + 1, d + 1);
				failures++;
			}
		}
		for (size_t v = 0; v < n; v++) {
			const struct layout_point *p = &l->pos[v];
			if (!l->placed[v])
				continue;
			if (nodes[v].cluster == c + 1) {
				if (!(p->x >= b->x + GRAPH_LAYOUT_CLUSTER_PAD - 1e-6 &&
				      p->y >= b->y + GRAPH_LAYOUT_CLUSTER_PAD + GRAPH_LAYOUT_CLUSTER_LABEL - 1e-6 &&
				      p->x + nodes[v].width <= b->x + b->width + 1e-6 && p->y + nodes[v].height <= b->y + b->height + 1e-6)) {
					fprintf(stderr, "node %zu is not inside its cluster %zu's box\n", v, c + 1);
					failures++;
				}
			} else if (rect_overlap(p->x, p->y, nodes[v].width, nodes[v].height, b->x, b->y, b->width, b->height)) {
				fprintf(stderr, "node %zu (cluster %u) overlaps cluster %zu's box\n", v, nodes[v].cluster, c + 1);
				failures++;
			}
		}
	}
}

static void test_clusters(void)
{
	/* two processes: a waiter in the first, a chain in the second, a shared object */
	struct layout_node_in nodes[5] = { { 80, 30, 1 }, { 80, 30, 2 }, { 80, 30, 2 }, { 80, 30, 2 }, { 60, 30, 0 } };
	struct layout_edge_in edges[5] = { { 0, 1 }, { 1, 2 }, { 2, 3 }, { 0, 4 }, { 3, 4 } };
	double min_width[2] = { 300, 20 };
	struct graph_layout_options opts;
	struct graph_layout *l, *l2;

	graph_layout_options_default(&opts);
	opts.cluster_min_width = min_width;
	opts.nclusters = 2;
	CHECK(!graph_layout_compute(nodes, 5, edges, 5, &opts, &l));
	check_layout(l, nodes, 5, edges, 5);
	CHECK(l->nclusters == 2 && l->clusters[0].placed && l->clusters[1].placed);
	check_clusters(l, nodes, 5, min_width, 2);
	CHECK(!graph_layout_compute(nodes, 5, edges, 5, &opts, &l2));
	CHECK(same_layout(l, l2));
	graph_layout_destroy(l);
	graph_layout_destroy(l2);

	/* no cluster at all: nclusters 0, no boxes */
	for (size_t i = 0; i < 5; i++)
		nodes[i].cluster = 0;
	l = layout(nodes, 5, edges, 5);
	CHECK(l->nclusters == 0 && l->clusters == NULL);
	graph_layout_destroy(l);

	/* an id over the cap is refused */
	nodes[0].cluster = GRAPH_LAYOUT_MAX_CLUSTERS + 1;
	{
		struct hs_error *err = graph_layout_compute(nodes, 5, edges, 5, NULL, &l);
		CHECK(err && err->kind == HS_ERR_INVALID && l == NULL);
		hs_error_destroy(err);
	}

	/* random graphs, random clusters (some nodes in none), some boxes wider than their nodes */
	for (unsigned round = 0; round < 60; round++) {
		size_t n = 2 + rng() % (round < 45 ? 30 : 200), m = rng() % (3 * n), k = 1 + rng() % 5;
		struct layout_node_in *rn = calloc(n, sizeof(*rn));
		struct layout_edge_in *re = calloc(m ? m : 1, sizeof(*re));
		double widths[5];
		struct graph_layout *a, *b;

		fill_nodes(rn, n);
		for (size_t i = 0; i < n; i++)
			rn[i].cluster = (unsigned)(rng() % (k + 1));
		for (size_t c = 0; c < 5; c++)
			widths[c] = (double)(rng() % 400);
		for (size_t e = 0; e < m; e++)
			re[e] = (struct layout_edge_in){ rng() % n, rng() % n };
		opts.cluster_min_width = widths;
		opts.nclusters = k;
		CHECK(!graph_layout_compute(rn, n, re, m, &opts, &a));
		CHECK(!graph_layout_compute(rn, n, re, m, &opts, &b));
		check_layout(a, rn, n, re, m);
		check_clusters(a, rn, n, widths, k);
		CHECK(same_layout(a, b));
		graph_layout_destroy(a);
		graph_layout_destroy(b);
		free(rn);
		free(re);
	}
}

int main(void)
{
	test_chain();
	test_cycle();
	test_long_edge();
	test_crossings();
	test_fan_in();
	test_random();
	test_caps();
	test_edge_cases();
	test_clusters();
	return unit_finish();
}
