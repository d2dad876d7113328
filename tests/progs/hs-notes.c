/*
 * hs-notes CORE: prints the notes of a plain core, one line each, with
 * HANGSNAP records decoded — what the integration tests assert on until
 * hanganalyze reads cores itself.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/procfs.h>
#include <unistd.h>

#include "formats/hangsnap_notes.h"

static const char *tcp_states[] = { "?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
				    "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING" };

static void print_addr(uint16_t family, const uint8_t *a, uint16_t port)
{
	char buf[64];
	inet_ntop(family, a, buf, sizeof(buf));
	printf("%s:%u", buf, port);
}

static int print_hangsnap(uint32_t type, const void *desc, size_t len)
{
	struct hs_error *err = NULL;

	switch (type) {
	case HANGSNAP_NT_PROCESS: {
		struct hs_process_info p;
		if (!(err = hs_process_info_decode(desc, len, &p)))
			printf("process pid=%d ppid=%d comm=%s exe=%s build_id=%s threads=%u unstopped=%u flags=%u "
			       "freeze_ns=%" PRIu64 " interval_ms=%u host=%s boot_id=%s cmdline_len=%zu\n",
			       p.pid, p.ppid, p.comm, p.exe, p.build_id, p.nthreads, p.nthreads_unstopped, p.flags,
			       p.freeze_ns, p.interval_ms, p.host, p.boot_id, p.cmdline_len);
		hs_process_info_deinit(&p);
		break;
	}
	case HANGSNAP_NT_THREAD: {
		struct hs_thread_info t;
		if (!(err = hs_thread_info_decode(desc, len, &t)))
			printf("thread tid=%d comm=%s state=%c stopped=%d exited=%d syscall=%" PRId64
			       " wchan=%s utime=%" PRIu64 ",%" PRIu64 " sample_ns=%" PRIu64 "\n",
			       t.tid, t.comm, t.state ? t.state : '?', !!(t.flags & HS_THREAD_STOPPED),
			       !!(t.flags & HS_THREAD_EXITED), t.syscall_nr, t.wchan, t.utime[0], t.utime[1], t.sample_ns);
		hs_thread_info_deinit(&t);
		break;
	}
	case HANGSNAP_NT_FD: {
		struct hs_fd_info f;
		if (!(err = hs_fd_info_decode(desc, len, &f)))
			printf("fd fd=%d kind=%u flags=0%o inode=%" PRIu64 " target=%s\n", f.fd, f.kind, f.flags, f.inode,
			       f.target);
		hs_fd_info_deinit(&f);
		break;
	}
	case HANGSNAP_NT_SOCKET: {
		struct hs_socket_info s;
		if (!(err = hs_socket_info_decode(desc, len, &s))) {
			printf("socket inode=%" PRIu64 " family=%u proto=%u state=%s local=", s.inode, s.family,
			       s.protocol, s.protocol == 6 && s.state < 12 ? tcp_states[s.state] : "-");
			if (s.family == 2 || s.family == 10) {
				print_addr(s.family, s.local_addr, s.local_port);
				printf(" remote=");
				print_addr(s.family, s.remote_addr, s.remote_port);
			} else {
				printf("%s", s.path);
			}
			printf(" retransmits=%u\n", s.retransmits);
		}
		hs_socket_info_deinit(&s);
		break;
	}
	case HANGSNAP_NT_PIPE: {
		struct hs_pipe_info p;
		if (!(err = hs_pipe_info_decode(desc, len, &p))) {
			printf("pipe inode=%" PRIu64 " queued=%u capacity=%u holders=", p.inode, p.queued, p.capacity);
			for (uint32_t i = 0; i < p.nholders; i++)
				printf("%s%d:%d:%c", i ? "," : "", p.holders[i].pid, p.holders[i].fd, p.holders[i].mode);
			printf(" path=%s\n", p.path);
		}
		hs_pipe_info_deinit(&p);
		break;
	}
	case HANGSNAP_NT_LOCK: {
		struct hs_lock_info l;
		if (!(err = hs_lock_info_decode(desc, len, &l)))
			printf("lock id=%u waiting=%u kind=%u mode=%u pid=%d inode=%" PRIu64 " path=%s\n", l.id, l.waiting,
			       l.kind, l.mode, l.pid, l.inode, l.path);
		hs_lock_info_deinit(&l);
		break;
	}
	case HANGSNAP_NT_CHILD: {
		struct hs_child_info c;
		if (!(err = hs_child_info_decode(desc, len, &c)))
			printf("child pid=%d state=%c comm=%s syscall=%" PRId64 "\n", c.pid, c.state, c.comm, c.syscall_nr);
		hs_child_info_deinit(&c);
		break;
	}
	default:
		printf("hangsnap-unknown type=%u len=%zu\n", type, len);
	}
	if (err) {
		fprintf(stderr, "hs-notes: %s\n", hs_error_message(err));
		hs_error_destroy(err);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	Elf *elf;
	size_t nph;
	int fd, rc = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: hs-notes CORE\n");
		return 2;
	}
	elf_version(EV_CURRENT);
	if ((fd = open(argv[1], O_RDONLY)) < 0 || !(elf = elf_begin(fd, ELF_C_READ_MMAP, NULL)) ||
	    elf_getphdrnum(elf, &nph) != 0) {
		fprintf(stderr, "hs-notes: cannot read '%s'\n", argv[1]);
		return 3;
	}
	printf("phdrs %zu\n", nph);
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		Elf_Data *data;
		GElf_Nhdr nh;
		size_t off = 0, name_off, desc_off;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_NOTE)
			continue;
		data = elf_getdata_rawchunk(elf, (int64_t)ph.p_offset, ph.p_filesz, ELF_T_NHDR);
		while (data && (off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
			const char *name = (const char *)data->d_buf + name_off;
			const void *desc = (const char *)data->d_buf + desc_off;

			if (strcmp(name, HANGSNAP_NOTE_OWNER) == 0) {
				rc |= print_hangsnap(nh.n_type, desc, nh.n_descsz);
			} else if (nh.n_type == NT_PRSTATUS && nh.n_descsz == sizeof(struct elf_prstatus)) {
				struct elf_prstatus pr;
				memcpy(&pr, desc, sizeof(pr));
				printf("prstatus tid=%d orig_rax=%lld rip=0x%llx cursig=%d\n", pr.pr_pid,
				       (long long)pr.pr_reg[15], (unsigned long long)pr.pr_reg[16], pr.pr_cursig);
			} else {
				printf("note %s type=%u size=%u\n", name, nh.n_type, nh.n_descsz);
			}
		}
	}
	elf_end(elf);
	close(fd);
	return rc;
}
