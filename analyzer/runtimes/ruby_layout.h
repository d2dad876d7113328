/*
 * The layout of one CRuby version: what the Ruby walker (ruby.c) reads,
 * as offsets, sizes and constants. One initializer per version, generated
 * by gen-ruby-layout.sh from that version's own headers (ruby-X.Y.inc);
 * never typed by hand. Offsets are in bytes; -1 where a version has no
 * such field.
 */
#ifndef HS_ANALYZER_RUNTIMES_RUBY_LAYOUT_H
#define HS_ANALYZER_RUNTIMES_RUBY_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

struct ruby_layout {
	const char *version;	/* "3.1": the API version the layout holds for */
	const char *headers;	/* "3.1.2": the sources it was generated from */
	/* special constants, object header, value types */
	uint64_t qfalse, qtrue, qnil, qundef, fixnum_flag, immediate_mask, special_shift;
	int64_t basic_flags, basic_klass;
	uint64_t t_mask, t_string, t_array, t_data, t_imemo;
	int64_t fl_ushift;
	uint64_t imemo_mask;
	int64_t imemo_ment, imemo_iseq;
	/* String: embedded length in the flags (before 3.2) or in `len` */
	uint64_t rstring_noembed, rstring_embed_len_mask;
	int64_t rstring_embed_len_shift, rstring_len, rstring_ary, rstring_ptr;
	/* Array */
	uint64_t rarray_embed_flag, rarray_embed_len_mask;
	int64_t rarray_embed_len_shift, rarray_len, rarray_ptr, rarray_ary;
	/* typed data */
	int64_t rtypeddata_type, rtypeddata_typed_flag, rtypeddata_data, rtypeddata_size;
	uint64_t typeddata_embedded;
	int64_t data_type_name;
	/* VM, ractor */
	int64_t vm_main_ractor, vm_main_thread;
	int64_t ractor_threads, ractor_thread_count, ractor_gvl_owner, ractor_running_ec;
	/* thread (native ids in th->nt from 3.3: th_nt >= 0) */
	int64_t th_node, th_self, th_ec, th_nt, nt_thread_id, nt_tid;
	int64_t th_status_byte, th_status_shift, th_status_bits;
	int64_t thread_runnable, thread_stopped, thread_stopped_forever, thread_killed;
	int64_t th_locking_mutex, th_keeping_mutexes, th_join_list, th_name;
	int64_t waiting_next, waiting_thread;
	/* execution context, control frames, environments */
	int64_t ec_vm_stack, ec_vm_stack_size, ec_cfp, ec_fiber, ec_thread;
	int64_t cfp_size, cfp_pc, cfp_iseq, cfp_self, cfp_ep;
	int64_t env_me_cref, env_specval, env_flags;
	uint64_t frame_magic_mask, frame_magic_cfunc, frame_flag_finish, env_flag_local;
	/* instruction sequences, line tables (succinct bit vector) */
	int64_t iseq_body, body_pathobj, body_label, body_first_lineno, body_first_lineno_size;
	int64_t body_iseq_encoded, body_iseq_size, body_insns_info, body_insns_info_size, body_insns_info_size_size;
	int64_t body_succ_index_table, insn_info_size, insn_info_line_no;
	int64_t succ_immediate_size, succ_part, succ_block_size, succ_block_rank, succ_block_small_ranks, succ_block_bits;
	/* method entries, symbols */
	int64_t me_def, def_original_id;
	int64_t symbols_last_id, symbols_ids, symbols_size;
	int64_t id_entry_unit, id_entry_size, id_entry_str, id_scope_shift, last_op_id;
	/* Mutex, Queue */
	int64_t mutex_fiber, mutex_next, queue_que, queue_num_waiting, szqueue_num_waiting_push, szqueue_max;
	/* 3.4+ (qualified_labels 1; all 0 before): labels qualified by the
	 * method's owner class, rescue/ensure frames, c_trace builtins */
	int64_t qualified_labels, me_owner;
	int64_t body_type, body_parent_iseq, body_local_iseq, body_builtin_attrs;
	uint64_t builtin_attr_c_trace;
	int64_t iseq_type_top, iseq_type_method, iseq_type_block, iseq_type_class, iseq_type_rescue, iseq_type_ensure,
		iseq_type_eval, iseq_type_main, iseq_type_plain;
	uint64_t t_class, t_module, fl_singleton;
	int64_t class_classpath, class_attached_object, class_permanent_byte, class_permanent_shift, class_permanent_bits;
	int64_t imemo_svar, svar_cref_or_me;
};

/* The built-in layout for a Ruby version ("3.1.2"), or NULL. */
const struct ruby_layout *ruby_layout_find(const char *version);

/* The i-th built-in layout, NULL past the last (the fuzzer picks one by number). */
const struct ruby_layout *ruby_layout_at(size_t i);

/* "3.1, 3.3": the versions with a built-in layout, for messages. */
const char *ruby_layout_versions(void);

#endif
