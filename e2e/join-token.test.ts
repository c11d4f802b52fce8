import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JoinTokenListResponseSchema } from "../src-shared/auth/join-tokens.js";
import { startTestOrchestrator, type TestOrchestrator } from "../test-support/orchestrator-harness.js";
import { waitFor as until } from "../test-support/wait-for.js";

// Nodes → "Add node" in Debian's Chromium (Playwright) against a real orchestrator serving the built
// dashboard: the button mints a join token and shows the exact worker command, the token in it joins a
// node (POST /v2/nodes/join), and "Revoke" on an unspent token makes the API refuse it.

const CHROMIUM = "/usr/bin/chromium";
const DASHBOARD_DIR = join(process.cwd(), "dist/renderer");
const SHOTS = join(process.cwd(), "test-results/screenshots");
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.log(`e2e/join-token.test.ts skipped: ${CHROMIUM} is missing (apt-get install chromium)`);

let orch: TestOrchestrator;
let browser: Browser;

const joinWith = (token: string, nodeId: string) => fetch(`${orch.url}/v2/nodes/join`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ node_id: nodeId }) });

describe.skipIf(!hasChromium)("Nodes → Add node in Chromium", () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    if (!existsSync(join(DASHBOARD_DIR, "index.html"))) {
      const { build } = await import("vite");
      await build({ configFile: join(process.cwd(), "src-renderer/vite.config.ts"), logLevel: "warn" });
    }
    orch = await startTestOrchestrator({ dashboard_dir: DASHBOARD_DIR });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await orch?.close();
  });

  it("creates a join token, shows the worker command that joins a node, and revokes an unspent token", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(m.text());
    });
    await page.goto(`${orch.url}/login?code=${orch.orchestrator.issueLoginCode()}`);
    await page.evaluate(() => {
      window.location.hash = "#/nodes";
    });
    await page.getByRole("button", { name: "Add node" }).click();
    const dialog = page.getByRole("dialog", { name: "Add a node" });
    await dialog.waitFor();
    await dialog.getByRole("button", { name: "Create join token" }).click();
    const command = await until("the worker command with a join token", async () => {
      const text = (await dialog.locator(`pre[aria-label="Worker join command"]`).textContent()) ?? "";
      return /#llj_[0-9a-f]{64}'/.test(text) ? text : null;
    });
    expect(command).toMatch(new RegExp(`^llama-orch-worker start --join '${orch.url.replace(/[.]/g, "\\.")}#llj_[0-9a-f]{64}' --models-dir ~/models$`));
    const first = /#(llj_[0-9a-f]{64})'/.exec(command)?.[1] ?? "";
    // The same token is listed as unspent (by fingerprint), then a second one is created to revoke.
    await dialog.getByTestId("join-tokens").waitFor();
    await page.screenshot({ path: join(SHOTS, "nodes-add-node.png") });
    expect((await joinWith(first, "ui-joined")).status).toBe(201);

    const second = await orch.api("/v2/auth/join-tokens", { method: "POST", body: JSON.stringify({ node_id: "ui-revoked" }) });
    const secondToken = ((await second.json()) as { token: string; fp6: string });
    // Reopen the dialog so it lists the new token.
    await page.getByRole("button", { name: "Done" }).click();
    await page.getByRole("button", { name: "Add node" }).click();
    await dialog.getByRole("button", { name: `Revoke join token ${secondToken.fp6}` }).click();
    await until("the token gone from the API's list", async () => {
      const listed = JoinTokenListResponseSchema.parse(await (await orch.api("/v2/auth/join-tokens")).json()).join_tokens;
      return listed.some((t) => t.fp6 === secondToken.fp6) ? null : true;
    });
    await dialog.getByTestId(`join-token-${secondToken.fp6}`).waitFor({ state: "detached" });
    expect((await joinWith(secondToken.token, "ui-revoked")).status).toBe(401);
    expect(problems).toEqual([]);
    await context.close();
  }, 90_000);
});
