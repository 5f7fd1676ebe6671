// Opens a `ser report` page in headless Chromium (Debian's, through
// Playwright) and checks what a reader would see:
//   - no console error, page error or failed request while it loads;
//   - as many <img> as the report should hold figures (--figures N);
//   - each figure drawn: its box, cut from a screenshot of the whole page,
//     is not blank (enough pixels away from the box's most common colour).
// usage: node check_report.mjs REPORT.html SCREENSHOT.png --figures N
// Exit 0 when all hold; otherwise 1, with one line per problem.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { PNG } from "pngjs";

const [htmlArg, shotArg, figuresFlag, figuresArg] = process.argv.slice(2);
const expected = Number(figuresArg);
if (!htmlArg || !shotArg || figuresFlag !== "--figures" || !Number.isInteger(expected)) {
  console.error("usage: node check_report.mjs REPORT.html SCREENSHOT.png --figures N");
  process.exit(2);
}
const html = resolve(htmlArg);
const chromiumPath = process.env.SER_CHROMIUM || "/usr/bin/chromium";

// Share of pixels in a box farther than `tolerance` from the box's most
// common colour (its background). A blank or single-colour box gives 0.
function inkShare(png, box, tolerance = 24) {
  const x0 = Math.max(0, Math.floor(box.x)), y0 = Math.max(0, Math.floor(box.y));
  const x1 = Math.min(png.width, Math.ceil(box.x + box.width)), y1 = Math.min(png.height, Math.ceil(box.y + box.height));
  const counts = new Map();
  for (let y = y0; y < y1; y++)
    for (let x = x0; x < x1; x++) {
      const i = (y * png.width + x) * 4;
      const key = (png.data[i] << 16) | (png.data[i + 1] << 8) | png.data[i + 2];
      counts.set(key, (counts.get(key) || 0) + 1);
    }
  let background = 0, most = -1;
  for (const [key, c] of counts) if (c > most) { most = c; background = key; }
  const br = background >> 16, bg = (background >> 8) & 255, bb = background & 255;
  let ink = 0, total = 0;
  for (let y = y0; y < y1; y++)
    for (let x = x0; x < x1; x++) {
      const i = (y * png.width + x) * 4;
      const d = Math.abs(png.data[i] - br) + Math.abs(png.data[i + 1] - bg) + Math.abs(png.data[i + 2] - bb);
      total++;
      if (d > tolerance) ink++;
    }
  return total ? ink / total : 0;
}

const problems = [];
const browser = await chromium.launch({
  executablePath: chromiumPath,
  headless: true,
  // This machine's network is closed: Chromium's own background connections are turned off.
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console error: ${m.text()} (${m.location().url || html})`); });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url().slice(0, 120)}: ${r.failure()?.errorText}`));
  await page.goto(pathToFileURL(html).href, { waitUntil: "load" });
  await page.waitForLoadState("networkidle");

  const figures = await page.$$eval("img", (imgs) => imgs.map((img) => {
    const r = img.getBoundingClientRect();
    return { x: r.x + window.scrollX, y: r.y + window.scrollY, width: r.width, height: r.height,
             loaded: img.complete && img.naturalWidth > 0, alt: img.alt || "" };
  }));
  if (figures.length !== expected)
    problems.push(`${figures.length} images on the page, the report should have ${expected} figures`);

  await page.screenshot({ path: shotArg, fullPage: true });
  const png = PNG.sync.read(readFileSync(shotArg));
  figures.forEach((f, k) => {
    const where = `figure ${k + 1} of ${figures.length} at (${Math.round(f.x)}, ${Math.round(f.y)}) ${Math.round(f.width)}x${Math.round(f.height)}`;
    if (!f.loaded) { problems.push(`${where}: the image did not load`); return; }
    if (f.width < 100 || f.height < 60) { problems.push(`${where}: too small to read`); return; }
    const ink = inkShare(png, f);
    console.log(`${where}: ${(100 * ink).toFixed(1)}% of its pixels drawn`);
    if (ink < 0.01) problems.push(`${where}: blank in the screenshot (${(100 * ink).toFixed(2)}% of its pixels drawn)`);
  });
  console.log(`screenshot: ${shotArg} (${png.width}x${png.height})`);
} finally {
  await browser.close();
}
for (const p of problems) console.log(`PROBLEM: ${p}`);
console.log(problems.length ? `${html}: ${problems.length} problem(s)` : `${html}: no console errors, every figure drawn`);
process.exit(problems.length ? 1 : 0);
