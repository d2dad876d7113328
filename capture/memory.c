/*
 * Which memory goes into the core, and copying it.
 *
 * Policy per mapping (what the kernel's default coredump_filter 0x33 keeps,
 * but page-exact thanks to /proc/PID/pagemap):
 *   anonymous private/shared, [heap], [stack], memfd, SysV shm
 *                     → resident and swapped pages (pagemap bits 63/62); the
 *                       untouched pages between them read back as the zeros
 *                       they are
 *   private file-backed (text, .data, RELRO, any permissions)
 *                     → the pages the process has modified: anonymous (COW)
 *                       pages, i.e. present without bit 61 "file page", or
 *                       swapped; plus the first page when the mapping starts
 *                       an ELF file (header + build-id). Everything else is
 *                       the file's bytes, which readers take from the file
 *                       named in NT_FILE — the kernel dumps such a mapping
 *                       whole once it has any anonymous page (anon_vma)
 *   [vdso]            → every page (unwinders need its CFI)
 *   [vvar], [vsyscall], unreadable, device files, shared file mappings
 *                     → nothing
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "capture/snapshot-internal.h"
#include "common/util.h"

#define PAGE 4096u
#define PAGEMAP_PRESENT (1ull << 63)
#define PAGEMAP_SWAPPED (1ull << 62)
#define PAGEMAP_FILE (1ull << 61)
#define PAGEMAP_PFN_MASK ((1ull << 55) - 1)

/*
 * The PFN of the kernel's shared zero page, or 0 when PFNs are hidden from us
 * (not CAP_SYS_ADMIN). Pages mapped to it were only ever read — a debugger
 * reading through /proc/PID/mem maps whole stacks that way — and hold zeros,
 * so they stay holes.
 */
static uint64_t zero_page_pfn(void)
{
	static uint64_t pfn = UINT64_MAX;
	uint64_t entry = 0;
	volatile unsigned char *p;
	int fd;

	if (pfn != UINT64_MAX)
		return pfn;
	pfn = 0;
	p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return pfn;
	(void)p[0];	/* a read fault maps the zero page */
	if ((fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC)) >= 0) {
		if (pread(fd, &entry, 8, (off_t)((uintptr_t)p / PAGE * 8)) == 8 && (entry & PAGEMAP_PRESENT))
			pfn = entry & PAGEMAP_PFN_MASK;
		close(fd);
	}
	munmap((void *)p, PAGE);
	return pfn;
}

static bool is_anon_like(const char *path)
{
	return path[0] == '\0' || strcmp(path, "[heap]") == 0 || strncmp(path, "[stack", 6) == 0 ||
	       strncmp(path, "[anon", 5) == 0 || strncmp(path, "/memfd:", 7) == 0 ||
	       strncmp(path, "/SYSV", 5) == 0 || strncmp(path, "/dev/zero", 9) == 0 ||
	       strncmp(path, "/dev/shm/", 9) == 0;
}

static enum mapping_dump choose_dump(const struct snapshot_mapping *m)
{
	if (!m->readable || strcmp(m->path, "[vvar]") == 0 || strcmp(m->path, "[vsyscall]") == 0 ||
	    strncmp(m->path, "[vvar", 5) == 0)
		return MAPPING_DUMP_NONE;
	if (strcmp(m->path, "[vdso]") == 0)
		return MAPPING_DUMP_ALL;
	if (is_anon_like(m->path))
		return MAPPING_DUMP_RESIDENT;
	if (m->path[0] == '[')
		return MAPPING_DUMP_RESIDENT;
	if (strncmp(m->path, "/dev/", 5) == 0 || m->shared)
		return MAPPING_DUMP_NONE;	/* device memory: reading may have side effects */
	return MAPPING_DUMP_MODIFIED;
}

/*
 * A number in base 16 or 10 ending at one of the characters stops (consumed)
 * or, with at_end, at the end of the string; false without digits or past
 * 64 bits. sscanf() was the largest item of our own in a profile of a
 * 1000-thread freeze.
 */
static bool parse_field(char **pp, unsigned base, const char *stops, bool at_end, unsigned long long *v)
{
	unsigned long long x = 0;
	char *p = *pp;
	int n = 0;

	for (;; p++, n++) {
		unsigned d;

		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = (unsigned)(*p - 'A' + 10);
		else
			break;
		if (x > (~0ull - d) / base)
			return false;
		x = x * base + d;
	}
	if (n == 0 || (*p ? !strchr(stops, *p) : !at_end))
		return false;
	*pp = *p ? p + 1 : p;
	*v = x;
	return true;
}

#define MAPS_SPACE " \t\n\v\f\r"	/* what sscanf's %s and ' ' take for white space */

/* "START-END PERMS OFFSET MAJ:MIN INODE   PATH", as the kernel writes it */
bool memory_parse_maps_line(char *line, struct snapshot_mapping *m)
{
	unsigned long long start, end, offset, maj, min, inode;
	char *p = line, *perms, *path;
	size_t nperms;

	if (!parse_field(&p, 16, "-", false, &start) || !parse_field(&p, 16, " ", false, &end) || end <= start)
		return false;
	perms = p;
	nperms = strcspn(p, MAPS_SPACE);
	if (nperms < 4 || nperms > 7 || p[nperms] != ' ')
		return false;
	p += nperms + 1;
	if (!parse_field(&p, 16, " ", false, &offset) || !parse_field(&p, 16, ":", false, &maj) || maj > UINT32_MAX ||
	    !parse_field(&p, 16, " ", false, &min) || min > UINT32_MAX ||
	    /* the inode ends at the padding before the path, or at the end of the line */
	    !parse_field(&p, 10, MAPS_SPACE, true, &inode))
		return false;
	path = p + strspn(p, MAPS_SPACE);
	path[strcspn(path, "\n")] = '\0';
	m->start = start;
	m->end = end;
	m->offset = offset;
	m->readable = perms[0] == 'r';
	m->writable = perms[1] == 'w';
	m->executable = perms[2] == 'x';
	m->shared = perms[3] == 's';
	m->dev_major = (uint32_t)maj;
	m->dev_minor = (uint32_t)min;
	m->inode = inode;
	m->path = strdup(path);
	return m->path != NULL;
}

static struct hs_error *add_run(struct snapshot *snap, struct snapshot_mapping *m, uint64_t addr, uint64_t len)
{
	struct snapshot_run *prev = snap->runs.len > m->first_run && m->nruns ? &snap->runs.items[snap->runs.len - 1] : NULL;
	struct snapshot_run *r;

	if (prev && addr < prev->addr + prev->len) {
		/*
		 * PAGEMAP_SCAN resumed at walk_end can report again part of a
		 * region it already returned (a huge page reported whole): keep
		 * each byte in one run, or the core gets overlapping PT_LOADs.
		 */
		uint64_t pend = prev->addr + prev->len;
		if (addr + len <= pend)
			return NULL;
		len -= pend - addr;
		addr = pend;
	}
	if (prev && prev->addr + prev->len == addr) {
		prev->len += len;
		return NULL;
	}
	if (!(r = VEC_PUSH(&snap->runs)))
		return &hs_error_nomem;
	r->addr = addr;
	r->len = len;
	m->nruns++;
	return NULL;
}

/*
 * PAGEMAP_SCAN (Linux 6.7, ioctl on /proc/PID/pagemap) returns page ranges by
 * category and skips unpopulated page tables, so a mapping of terabytes with
 * a few resident pages (ASan shadow, reserved heaps) costs what its resident
 * pages cost. Debian 12's headers predate it; the ABI is fixed.
 */
#ifndef PAGEMAP_SCAN
#define PAGE_IS_FILE (1 << 2)
#define PAGE_IS_PRESENT (1 << 3)
#define PAGE_IS_SWAPPED (1 << 4)
#define PAGE_IS_PFNZERO (1 << 5)
struct page_region {
	uint64_t start, end, categories;
};
struct pm_scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
#define PAGEMAP_SCAN _IOWR('f', 16, struct pm_scan_arg)
#endif

/* Above this size a mapping is not read page by page without PAGEMAP_SCAN. */
#define PAGEMAP_READ_MAX (64ull << 30)

/* Returns 1 when the scan ran, 0 when the kernel lacks PAGEMAP_SCAN, or sets *err. */
static int scan_pages(int pagemap, struct snapshot *snap, struct snapshot_mapping *m, uint64_t from,
		      struct hs_error **err)
{
	static struct page_region regions[1024];
	struct pm_scan_arg arg;

	memset(&arg, 0, sizeof(arg));
	arg.size = sizeof(arg);
	arg.vec = (uintptr_t)regions;
	arg.vec_len = ARRAY_SIZE(regions);
	arg.category_anyof_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED;
	/* never the zero page; in file mappings, only anonymous (modified) pages */
	arg.category_inverted = PAGE_IS_PFNZERO | (m->dump == MAPPING_DUMP_MODIFIED ? PAGE_IS_FILE : 0);
	arg.category_mask = arg.category_inverted;
	arg.return_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED;
	for (uint64_t start = from; start < m->end;) {
		int n;

		arg.start = start;
		arg.end = m->end;
		n = ioctl(pagemap, PAGEMAP_SCAN, &arg);
		if (n < 0)
			return (errno == ENOTTY || errno == EINVAL) && start == from ? 0 : 1;
		for (int i = 0; i < n; i++)
			if ((*err = add_run(snap, m, regions[i].start, regions[i].end - regions[i].start)))
				return 1;
		if (arg.walk_end <= start || arg.walk_end >= m->end)
			break;
		start = arg.walk_end;
	}
	return 1;
}

/* Plans the pages of m that pagemap says we keep (see the policy above). */
static struct hs_error *plan_pages(int pagemap, struct snapshot *snap, struct snapshot_mapping *m, bool with_header)
{
	static uint64_t entries[8192];
	uint64_t npages = (m->end - m->start) / PAGE, done = 0, last_end = m->start;
	bool anon_only = m->dump == MAPPING_DUMP_MODIFIED;
	uint64_t zero_pfn = zero_page_pfn();
	struct hs_error *err;

	if (with_header) {
		if ((err = add_run(snap, m, m->start, PAGE)))
			return err;
		last_end = m->start + PAGE;
	}
	err = NULL;
	if (scan_pages(pagemap, snap, m, with_header ? m->start + PAGE : m->start, &err)) {
		if (m->nruns)
			m->dump_size = snap->runs.items[snap->runs.len - 1].addr + snap->runs.items[snap->runs.len - 1].len - m->start;
		return err;
	}
	if (m->end - m->start > PAGEMAP_READ_MAX) {
		/* too large to read 8 bytes a page: keep what we have, note it */
		snap->pages_failed += 1;
		return NULL;
	}

	while (done < npages) {
		size_t want = (size_t)MIN(npages - done, ARRAY_SIZE(entries));
		ssize_t n = pread(pagemap, entries, want * 8, (off_t)(((m->start / PAGE) + done) * 8));

		if (n <= 0)
			break;	/* unreadable pagemap: treat the rest as not resident */
		for (size_t i = 0; i < (size_t)n / 8; i++) {
			uint64_t e = entries[i];
			bool keep = anon_only ? (e & PAGEMAP_SWAPPED) || ((e & PAGEMAP_PRESENT) && !(e & PAGEMAP_FILE))
					      : (e & (PAGEMAP_PRESENT | PAGEMAP_SWAPPED)) != 0;
			if (keep && zero_pfn && (e & PAGEMAP_PRESENT) && (e & PAGEMAP_PFN_MASK) == zero_pfn)
				keep = false;
			if (keep && !(with_header && done + i == 0)) {
				uint64_t addr = m->start + (done + i) * PAGE;
				if ((err = add_run(snap, m, addr, PAGE)))
					return err;
				last_end = addr + PAGE;
			}
		}
		done += (uint64_t)n / 8;
	}
	m->dump_size = m->nruns ? last_end - m->start : 0;
	return NULL;
}

static bool starts_with_elf_magic(pid_t pid, uint64_t addr)
{
	unsigned char magic[4];
	struct iovec local = { magic, 4 }, remote = { (void *)(uintptr_t)addr, 4 };

	return process_vm_readv(pid, &local, 1, &remote, 1, 0) == 4 && memcmp(magic, "\177ELF", 4) == 0;
}

struct hs_error *memory_plan(pid_t pid, bool live_header_check, struct snapshot *snap)
{
	char path[64], line[8192];
	struct hs_error *err = NULL;
	FILE *maps;
	int pagemap;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	if (!(maps = fopen(path, "re")))
		return hs_error_errno_kind(errno == ENOENT ? HS_ERR_NO_PROCESS : HS_ERR_OS, errno, "cannot open '%s'", path);
	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	pagemap = open(path, O_RDONLY | O_CLOEXEC);
	while (fgets(line, sizeof(line), maps)) {
		struct snapshot_mapping *m;

		if (snap->maps.len >= SNAPSHOT_MAX_MAPPINGS) {
			err = hs_error_create(HS_ERR_LIMIT, "process %d has more than %u mappings", (int)pid,
					      SNAPSHOT_MAX_MAPPINGS);
			break;
		}
		if (!(m = VEC_PUSH(&snap->maps))) {
			err = &hs_error_nomem;
			break;
		}
		if (!memory_parse_maps_line(line, m)) {
			free(m->path);
			snap->maps.len--;
			continue;
		}
		m->dump = choose_dump(m);
		m->first_run = snap->runs.len;
		switch (m->dump) {
		case MAPPING_DUMP_NONE:
			break;
		case MAPPING_DUMP_MODIFIED: {
			/* without the live check (estimate), count the header page of every offset-0 mapping */
			bool header = m->offset == 0 && (!live_header_check || starts_with_elf_magic(pid, m->start));
			if (pagemap < 0)
				err = header ? add_run(snap, m, m->start, PAGE) : NULL;
			else
				err = plan_pages(pagemap, snap, m, header);
			if (m->nruns == 0)
				m->dump = MAPPING_DUMP_NONE;
			break;
		}
		case MAPPING_DUMP_ALL:
			m->dump_size = m->end - m->start;
			err = add_run(snap, m, m->start, m->dump_size);
			break;
		case MAPPING_DUMP_RESIDENT:
			if (pagemap < 0) {
				/* no pagemap (old kernel, permissions): copy the whole mapping */
				m->dump_size = m->end - m->start;
				err = add_run(snap, m, m->start, m->dump_size);
			} else {
				err = plan_pages(pagemap, snap, m, false);
			}
			break;
		}
		if (err)
			break;
	}
	fclose(maps);
	if (pagemap >= 0)
		close(pagemap);
	snap->bytes_planned = 0;
	for (size_t i = 0; i < snap->runs.len; i++)
		snap->bytes_planned += snap->runs.items[i].len;
	return err;
}

void snapshot_read_memory(pid_t pid, int memfd, uint64_t addr, void *buf, size_t len, uint64_t *failed_pages)
{
	size_t done = 0;

	while (done < len) {
		struct iovec local = { (char *)buf + done, len - done };
		struct iovec remote = { (void *)(uintptr_t)(addr + done), len - done };
		ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);

		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		/* the page at addr+done is unreadable this way: try /proc/PID/mem, one page */
		size_t chunk = MIN(len - done, PAGE - ((addr + done) % PAGE));
		ssize_t m = memfd >= 0 ? pread(memfd, (char *)buf + done, chunk, (off_t)(addr + done)) : -1;
		if (m != (ssize_t)chunk) {
			memset((char *)buf + done, 0, chunk);
			if (failed_pages)
				(*failed_pages)++;
		}
		done += chunk;
	}
}

struct hs_error *memory_arena_create(struct snapshot *snap, size_t size)
{
	void *p;

	if (size == 0)
		return NULL;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return hs_error_errno(errno, "cannot reserve %zu bytes for the memory copy", size);
	/* fault it in now, so the copy while the target is stopped runs at memcpy speed */
	madvise(p, size, MADV_HUGEPAGE);
#ifdef MADV_POPULATE_WRITE
	if (madvise(p, size, MADV_POPULATE_WRITE) != 0)
#endif
		for (size_t off = 0; off < size; off += PAGE)
			((volatile unsigned char *)p)[off] = 0;
	snap->arena = p;
	snap->arena_size = size;
	snap->arena_used = 0;
	return NULL;
}

static unsigned char *arena_alloc(struct snapshot *snap, uint64_t len)
{
	void **slot, *p;

	if (snap->arena && snap->arena_size - snap->arena_used >= len) {
		p = snap->arena + snap->arena_used;
		snap->arena_used += len;
		return p;
	}
	/* the mappings grew since the estimate: pay for a late allocation */
	if (!(slot = VEC_PUSH(&snap->overflow)) || !(p = malloc(len)))
		return NULL;
	*slot = p;
	return p;
}

/*
 * The copy while the target is stopped: the runs cut into units of at most
 * COPY_UNIT bytes and COPY_IOV pieces (small runs batched, large ones cut),
 * one process_vm_readv() a unit, shared out among COPY_MAX_WORKERS threads
 * — the tracer and helpers — that take the next unit as they finish one.
 * The target's threads are all stopped, so the CPUs are ours: with two,
 * 1 GiB took 330 ms in one thread and 190 ms in two.
 */
#define COPY_UNIT (1u << 20)
#define COPY_IOV 1024u		/* UIO_MAXIOV */
#define COPY_MAX_WORKERS 8

struct copy_piece {
	uint64_t addr;
	unsigned char *dst;
	size_t len;
};

struct copy_unit {
	size_t first, n;	/* into copy_job.pieces */
};

struct copy_job {
	pid_t pid;
	int memfd;
	struct copy_piece *pieces;
	struct copy_unit *units;
	size_t nunits;
	size_t next;		/* the next unit to take (atomic) */
	uint64_t failed;	/* pages zero-filled (atomic) */
};

static void copy_unit(struct copy_job *job, const struct copy_unit *u)
{
	struct iovec local[COPY_IOV], remote[COPY_IOV];
	size_t total = 0, done;
	ssize_t n;
	uint64_t failed = 0;

	for (size_t i = 0; i < u->n; i++) {
		const struct copy_piece *p = &job->pieces[u->first + i];
		local[i] = (struct iovec){ p->dst, p->len };
		remote[i] = (struct iovec){ (void *)(uintptr_t)p->addr, p->len };
		total += p->len;
	}
	n = process_vm_readv(job->pid, local, u->n, remote, u->n, 0);
	done = n > 0 ? (size_t)n : 0;
	if (done == total)
		return;
	/* it stops at the first page it cannot read: the rest piece by piece, with the fallbacks */
	for (size_t i = 0; i < u->n; i++) {
		const struct copy_piece *p = &job->pieces[u->first + i];

		if (done >= p->len) {
			done -= p->len;
			continue;
		}
		snapshot_read_memory(job->pid, job->memfd, p->addr + done, p->dst + done, p->len - done, &failed);
		done = 0;
	}
	if (failed)
		__atomic_fetch_add(&job->failed, failed, __ATOMIC_RELAXED);
}

static void *copy_worker(void *arg)
{
	struct copy_job *job = arg;
	size_t i;

	while ((i = __atomic_fetch_add(&job->next, 1, __ATOMIC_RELAXED)) < job->nunits)
		copy_unit(job, &job->units[i]);
	return NULL;
}

/* Cuts the runs (their buffers assigned) into pieces and units; false when out of memory. */
static bool plan_units(struct snapshot *snap, struct copy_job *job)
{
	size_t npieces, nunits = 0, unit_bytes = 0, unit_n = 0;
	uint64_t total = 0;

	/* a piece starts where a run or a unit does; each piece starts at most one unit */
	for (size_t i = 0; i < snap->runs.len; i++)
		total += snap->runs.items[i].len;
	npieces = snap->runs.len + (size_t)(total / COPY_UNIT) + 1;
	if (!(job->pieces = calloc(npieces, sizeof(*job->pieces))) || !(job->units = calloc(npieces, sizeof(*job->units))))
		return false;
	npieces = 0;
	for (size_t i = 0; i < snap->runs.len; i++) {
		const struct snapshot_run *r = &snap->runs.items[i];

		for (uint64_t off = 0; off < r->len;) {
			size_t len = (size_t)MIN(r->len - off, (uint64_t)(COPY_UNIT - unit_bytes));

			if (unit_n == 0)
				job->units[nunits++].first = npieces;
			job->pieces[npieces++] = (struct copy_piece){ r->addr + off, r->data + off, len };
			job->units[nunits - 1].n = ++unit_n;
			unit_bytes += len;
			off += len;
			if (unit_bytes == COPY_UNIT || unit_n == COPY_IOV)
				unit_bytes = unit_n = 0;
		}
	}
	job->nunits = nunits;
	return true;
}

struct hs_error *memory_copy(pid_t pid, struct snapshot *snap)
{
	struct copy_job job = { .pid = pid, .memfd = -1 };
	pthread_t helpers[COPY_MAX_WORKERS - 1];
	size_t nhelpers = 0, want;
	struct hs_error *err = NULL;
	char path[64];
	long cpus;

	for (size_t i = 0; i < snap->runs.len; i++)
		if (!(snap->runs.items[i].data = arena_alloc(snap, snap->runs.items[i].len)))
			return &hs_error_nomem;
	if (!plan_units(snap, &job)) {
		err = &hs_error_nomem;
		goto out;
	}
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	job.memfd = open(path, O_RDONLY | O_CLOEXEC);
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	want = MIN((size_t)(cpus > 1 ? cpus : 1), (size_t)COPY_MAX_WORKERS);
	want = MIN(want, job.nunits);
	/* a helper that cannot start only means fewer of them */
	while (nhelpers + 1 < want && pthread_create(&helpers[nhelpers], NULL, copy_worker, &job) == 0)
		nhelpers++;
	copy_worker(&job);
	for (size_t i = 0; i < nhelpers; i++)
		pthread_join(helpers[i], NULL);
	snap->pages_failed += job.failed;
	if (job.memfd >= 0)
		close(job.memfd);
out:
	free(job.pieces);
	free(job.units);
	return err;
}
