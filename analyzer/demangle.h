/*
 * Demangled symbol names: C++ (Itanium ABI) and Rust (legacy and v0), by
 * libiberty's cplus_demangle (DMGL_AUTO), the demangler gdb and binutils
 * use. A leaf: it needs nothing from the model.
 *
 * Names come out as gdb's backtrace names functions and as `c++filt -p -i`
 * prints them: qualified, with template arguments, and without
 *  - the parameter list (`std::mutex::lock`, not `std::mutex::lock()`): a
 *    frame line already has the pc, file and line, and the raw name, which
 *    frames keep beside it, tells overloads apart;
 *  - clone suffixes (`[clone .constprop.0]`), for the same reason;
 *  - Rust's hash (`::h6d5d18e66cdf12d7`, which changes with every build) and
 *    v0 crate disambiguators (`std[e28293b1aa0f68bd]`), as Rust's own
 *    backtraces leave them out.
 */
#ifndef HS_ANALYZER_DEMANGLE_H
#define HS_ANALYZER_DEMANGLE_H

/* Longer names are left as they are (the demangler also bounds its recursion). */
#define DEMANGLE_NAME_MAX 16384u

/*
 * The demangled form of name, malloc'd for the caller to free; NULL when
 * name is not a mangled C++ or Rust name (a C name, a name that does not
 * parse), is NULL or longer than DEMANGLE_NAME_MAX, or memory runs out. A
 * symbol version is kept as it is, after the demangled name:
 * "_ZNSt6thread4joinEv@@GLIBCXX_3.4.11" → "std::thread::join@@GLIBCXX_3.4.11",
 * as C names keep theirs ("pthread_join@@GLIBC_2.34").
 */
char *demangle_name(const char *name);

#endif
