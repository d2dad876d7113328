#!/bin/bash
# Every inlined call, as gdb shows it: the C++ deadlock of
# tests/generalize/cache_refresh.cc built -O0, -O2 and -O2 without frame
# pointers, snapshotted, analyzed; for every thread, frame by frame from the
# innermost up to main (gdb stops there), our file:line and inlined-ness
# must equal gdb's `thread apply all bt` on the same core — libc's inlined
# frames (futex-internal.c) and the whole chain std::mutex::lock ->
# std::lock_guard -> app::Cache::refresh included. Nothing is shown past
# _start. --no-inline keeps the old view: no inlined frame at all.
. "$(dirname "$0")/test-subr.sh"
cd "$WORK"
command -v gdb >/dev/null || { echo "skip: no gdb"; exit 77; }

for opt in O0 O2 O2-nofp; do
	EXE=$PROGS/cache-refresh-cxx-$opt
	start_target "$WORK/target-$opt.out" "$EXE"
	expect_exit 0 "$HANGSNAP" -q --compress=none -o "$opt.core" "$TARGET_PID"
	kill -9 "$TARGET_PID"
	expect_exit 0 "$HANGANALYZE" --no-db --format=json "$opt.core"
	cp "$WORK/stdout" "$opt.json"
	expect_exit 0 "$HANGANALYZE" --no-db --no-inline --format=json "$opt.core"
	cp "$WORK/stdout" "$opt.noinline.json"
	gdb -nx -batch -ex 'set pagination off' -ex 'thread apply all bt' "$EXE" "$opt.core" >"$opt.gdb" 2>&1
	/usr/bin/python3 - "$opt" "$opt.json" "$opt.gdb" "$opt.noinline.json" <<'PY' || fail "$opt: our frames differ from gdb's"
import json, re, sys, os
opt, ours_path, gdb_path, noinline_path = sys.argv[1:]
d = json.load(open(ours_path))
gdb, tid = {}, None
for line in open(gdb_path):
    m = re.match(r'Thread \d+ \(Thread 0x[0-9a-f]+ \(LWP (\d+)\)\)', line)
    if m:
        tid = int(m.group(1)); gdb[tid] = []
        continue
    m = re.match(r'#(\d+)\s+(0x[0-9a-f]+ in )?(.*)$', line.rstrip())
    if m and tid is not None:
        rest = m.group(3)
        loc = re.search(r' at (\S+):(\d+)$', rest)
        # gdb leaves out the address of a frame at the same pc as the one inside it: a function that
        # has calls inlined into it, or an inlined call inside another
        gdb[tid].append({"same_pc": m.group(2) is None and int(m.group(1)) > 0,
                         "file": os.path.basename(loc.group(1)) if loc else None,
                         "line": int(loc.group(2)) if loc else None,
                         "main": rest.startswith('main (')})
bad = 0
compared = inlined = 0
for t in d["threads"]:
    g = gdb.get(t["tid"])
    if g is None:
        print("%s: thread %d not in gdb's output" % (opt, t["tid"])); bad += 1; continue
    ours = t["frames"]
    if any(f["function"] == "_start" for f in ours[:-1]):
        print("%s: thread %d has frames past _start" % (opt, t["tid"])); bad += 1
    for i, gf in enumerate(g):
        if i >= len(ours):
            print("%s: thread %d: gdb has frame #%d, we stop at %d" % (opt, t["tid"], i, len(ours))); bad += 1; break
        f = ours[i]
        of = os.path.basename(f["file"]) if f["file"] else None
        same_pc = i > 0 and f["pc"] == ours[i - 1]["pc"]
        if (of, f["line"] or None) != (gf["file"], gf["line"]) or same_pc != gf["same_pc"]:
            print("%s: thread %d frame #%d: we say %s:%s%s (%s), gdb says %s:%s%s" % (
                opt, t["tid"], i, of, f["line"], " [same pc]" if same_pc else "", f["function"],
                gf["file"], gf["line"], " [same pc]" if gf["same_pc"] else ""))
            bad += 1
        compared += 1
        inlined += f["inlined"]
        if gf["main"]:
            break
n = json.load(open(noinline_path))
if any(f["inlined"] for t in n["threads"] for f in t["frames"]):
    print("%s: --no-inline still shows inlined frames" % opt); bad += 1
chain = [f["function"] for t in d["threads"] for f in t["frames"]]
if opt != "O0" and not ("std::mutex::lock" in chain and "app::Cache::refresh" in chain):
    print("%s: the inlined chain std::mutex::lock ... app::Cache::refresh is not there" % opt); bad += 1
print("# %s: %d frames compared with gdb, %d of them inlined" % (opt, compared, inlined))
sys.exit(1 if bad else 0)
PY
done
echo ok
