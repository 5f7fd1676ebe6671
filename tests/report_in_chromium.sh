#!/usr/bin/env bash
# A report as a reader sees it: `ser report` of the demo's run, opened in
# headless Chromium (tests/node/check_report.mjs): no console error, every
# figure drawn. Then the same page with planted faults (a script error, a
# blank figure, an image that does not load) must be refused, each named, so
# the check is known to be able to fail.
# usage: report_in_chromium.sh SER DEMO_DIR WORK_DIR NODE_DIR
set -euo pipefail
ser=$1 demo=$2 work=$3 node_dir=$4
chromium=${SER_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ] || [ ! -d "$node_dir/node_modules/playwright-core" ]; then
  echo "SKIPPED: needs Debian's chromium and tests/node's packages; run scripts/setup.sh --test"
  exit 77
fi
rm -rf "$work" && mkdir -p "$work"
# The demo's run: 4 classes, so 4 figures of the run (classes per split side, curves, confusion, F1) and
# one example per class.
figures=8
SER_DATA="$demo/corpus" "$ser" report "$demo/run" --out "$work/report"
node "$node_dir/check_report.mjs" "$work/report/report.html" "$work/report/screenshot.png" --figures $figures

# Planted: an error thrown by a script, figure 2 replaced by a blank white picture
# of its size, and figure 5 pointed at a file that is not there.
/usr/bin/python3 - "$work/report/report.html" "$work/planted.html" <<'PY'
import base64, re, struct, sys, zlib
html = open(sys.argv[1], encoding="utf-8").read()
def png(width, height):  # white RGB
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\0" + b"\xff" * (3 * width) for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
images = list(re.finditer(r'src="data:image/png;base64,([^"]+)"', html))
second, fifth = images[1], images[4]
w, h = struct.unpack(">II", base64.b64decode(second.group(1)[:44])[16:24])
blank = 'src="data:image/png;base64,' + base64.b64encode(png(w, h)).decode() + '"'
html = html[:second.start()] + blank + html[second.end():fifth.start()] + 'src="missing.png"' + html[fifth.end():]
html = html.replace("</body>", "<script>undefined_function_planted_by_the_test();</script></body>")
open(sys.argv[2], "w", encoding="utf-8").write(html)
PY
if node "$node_dir/check_report.mjs" "$work/planted.html" "$work/planted.png" --figures $figures > "$work/planted.log"; then
  cat "$work/planted.log"; echo "FAILED: the planted faults were not found"; exit 1
fi
cat "$work/planted.log"
for expect in "page error: undefined_function_planted_by_the_test is not defined" \
              "figure 2 of $figures .*: blank in the screenshot" "figure 5 of $figures .*: the image did not load"; do
  grep -q "PROBLEM: $expect" "$work/planted.log" || { echo "FAILED: not reported: $expect"; exit 1; }
done
echo "planted faults: each one reported"
