/*
 * Names are demangled by libiberty as `c++filt -p -i` (binutils 2.40)
 * prints them: every expected string below is c++filt's output for the
 * mangled name beside it. C names, names that do not parse, and names too
 * deep or too long to demangle are left alone (NULL). And the signature's
 * normalization strips a parameter list, not the parentheses that belong
 * to a C++ name.
 */
#include <stdlib.h>
#include <string.h>

#include "analyzer/demangle.h"
#include "analyzer/signature.h"
#include "tests/unit/unit.h"

/* demangle_name(mangled) is want (NULL: not demangled). */
static int demangles_to(const char *mangled, const char *want)
{
	char *got = demangle_name(mangled);
	int ok = want ? got && strcmp(got, want) == 0 : !got;

	if (!ok)
		fprintf(stderr, "demangle_name(\"%s\") = \"%s\", want \"%s\"\n", mangled, got ? got : "(null)",
			want ? want : "(null)");
	free(got);
	return ok;
}

static void test_itanium(void)
{
	CHECK(demangles_to("_ZNSt5mutex4lockEv", "std::mutex::lock"));
	CHECK(demangles_to("_ZN3app5Cache7refreshERS0_i", "app::Cache::refresh"));
	CHECK(demangles_to("_ZNSt6thread11_State_implINS_8_InvokerISt5tupleIJZ4mainEUlvE_EEEEE6_M_runEv",
			   "std::thread::_State_impl<std::thread::_Invoker<std::tuple<main::{lambda()#1}> > >::_M_run"));
	CHECK(demangles_to("_ZZ4mainENKUlvE_clEv", "main::{lambda()#1}::operator()"));
	CHECK(demangles_to("_ZNSs4swapERSs", "std::string::swap"));	/* std:: abbreviations, not spelled out (-i) */
	CHECK(demangles_to("_ZL3fooi", "foo"));			/* internal linkage */
	CHECK(demangles_to("_ZN3app5Cache7refreshEv.constprop.0", "app::Cache::refresh"));
	/* the symbol version stays, as C names keep theirs; c++filt says std::thread::join for the part before '@' */
	CHECK(demangles_to("_ZNSt6thread4joinEv@@GLIBCXX_3.4.11", "std::thread::join@@GLIBCXX_3.4.11"));
}

static void test_rust(void)
{
	/* legacy: Itanium-shaped, with a hash the demangler drops */
	CHECK(demangles_to("_ZN1m3app7refresh17h6d5d18e66cdf12d7E", "m::app::refresh"));
	CHECK(demangles_to("_ZN4core3ptr85drop_in_place$LT$std..rt..lang_start$LT$$LP$$RP$$GT$..$u7b$$u7b$closure"
			   "$u7d$$u7d$$GT$17h2f1a0b9c8d7e6f50E",
			   "core::ptr::drop_in_place<std::rt::lang_start<()>::{{closure}}>"));
	/* v0: without the crate disambiguator std[e28293b1aa0f68bd] */
	CHECK(demangles_to("_RNvMNtNtNtNtCsjrHSEGnQ3l9_3std3sys4sync5mutex5futexNtB2_5Mutex14lock_contended",
			   "<std::sys::sync::mutex::futex::Mutex>::lock_contended"));
}

static void test_not_mangled(void)
{
	char *deep, *longest;
	size_t n;

	CHECK(demangles_to(NULL, NULL));
	CHECK(demangles_to("", NULL));
	CHECK(demangles_to("main", NULL));
	CHECK(demangles_to("pthread_mutex_lock@@GLIBC_2.2.5", NULL));
	CHECK(demangles_to("__lll_lock_wait", NULL));
	CHECK(demangles_to("_start", NULL));
	CHECK(demangles_to("_Z", NULL));
	CHECK(demangles_to("_Zjunk", NULL));
	CHECK(demangles_to("_ZN", NULL));
	CHECK(demangles_to("_R", NULL));
	CHECK(demangles_to("_RNv", NULL));
	/* 5000 nested pointers: past libiberty's recursion limit (c++filt leaves it too) */
	n = 5000;
	CHECK((deep = malloc(n + 6)) != NULL);
	if (deep) {
		memcpy(deep, "_Z1fP", 5);
		memset(deep + 5, 'P', n - 5);
		memcpy(deep + n, "v", 2);
		CHECK(demangles_to(deep, NULL));
		free(deep);
	}
	/* "_ZN1a1a...1aE" (a::a::...::a) demangles when short, and is not even tried past DEMANGLE_NAME_MAX */
	n = 3 + 2 * (DEMANGLE_NAME_MAX / 2 + 1) + 1;
	CHECK((longest = malloc(n + 1)) != NULL);
	if (longest) {
		memcpy(longest, "_ZN", 3);
		for (size_t i = 3; i < n - 1; i += 2)
			memcpy(longest + i, "1a", 2);
		memcpy(longest + n - 1, "E", 2);
		CHECK(demangles_to(longest, NULL));
		memcpy(longest + 3 + 2 * 3, "E", 2);
		CHECK(demangles_to(longest, "a::a::a"));
		free(longest);
	}
}

static int normalizes_to(const char *name, const char *want)
{
	char buf[256];
	int ok = strcmp(signature_normalize_function(name, buf, sizeof(buf)), want) == 0;

	if (!ok)
		fprintf(stderr, "signature_normalize_function(\"%s\") = \"%s\", want \"%s\"\n", name, buf, want);
	return ok;
}

static void test_signature_names(void)
{
	CHECK(normalizes_to("app::Cache::refresh(app::Cache&, int)", "app::Cache::refresh"));
	CHECK(normalizes_to("app::Cache::name() const", "app::Cache::name"));
	CHECK(normalizes_to("operator()", "operator()"));
	/* a lambda's ordinal and template arguments change with unrelated edits: left out */
	CHECK(normalizes_to("main::{lambda()#1}::operator()", "main::{lambda()}::operator()"));
	CHECK(normalizes_to("main::{lambda()#12}::operator()", "main::{lambda()}::operator()"));
	CHECK(normalizes_to("std::thread::_State_impl<std::thread::_Invoker<std::tuple<main::{lambda()#1}> > >::_M_run",
			    "std::thread::_State_impl<>::_M_run"));
	CHECK(normalizes_to("app::Pool<int, std::allocator<int> >::get(unsigned long)", "app::Pool<>::get"));
	CHECK(normalizes_to("app::Log::operator<<(int)", "app::Log::operator<<"));
	CHECK(normalizes_to("app::Vec::operator<(app::Vec const&) const", "app::Vec::operator<"));
	CHECK(normalizes_to("m::app::refresh::{closure#0}", "m::app::refresh::{closure}"));
	CHECK(normalizes_to("<std::sys::sync::mutex::futex::Mutex>::lock_contended",
			    "<std::sys::sync::mutex::futex::Mutex>::lock_contended"));
	CHECK(normalizes_to("<alloc::vec::Vec<T>>::push", "<alloc::vec::Vec<>>::push"));
	CHECK(normalizes_to("std::thread::join@@GLIBCXX_3.4.11", "std::thread::join"));
	CHECK(normalizes_to("__pthread_mutex_lock@GLIBC_2.2.5", "__pthread_mutex_lock"));
	CHECK(normalizes_to("worker.constprop.0", "worker"));
}

int main(void)
{
	test_itanium();
	test_rust();
	test_not_mangled();
	test_signature_names();
	return unit_finish();
}
