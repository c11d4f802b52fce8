/** Copyable client examples for a model (curl, the openai SDKs for Python and JavaScript). */
export interface ModelExamples {
  curl: string;
  python: string;
  javascript: string;
}

export function modelExamples(baseUrl: string, model: string): ModelExamples {
  const base = baseUrl.replace(/\/+$/, "");
  const m = JSON.stringify(model);
  return {
    curl: [
      `curl -N ${base}/v1/chat/completions \\`,
      `  -H "Authorization: Bearer $LLORCH_API_TOKEN" \\`,
      `  -H "Content-Type: application/json" \\`,
      `  -d '{"model":${m},"messages":[{"role":"user","content":"Hello!"}],"stream":true}'`,
    ].join("\n"),
    python: [
      "import os",
      "from openai import OpenAI",
      "",
      `client = OpenAI(base_url="${base}/v1", api_key=os.environ["LLORCH_API_TOKEN"])`,
      "stream = client.chat.completions.create(",
      `    model=${m},`,
      '    messages=[{"role": "user", "content": "Hello!"}],',
      "    stream=True,",
      ")",
      "for chunk in stream:",
      '    print(chunk.choices[0].delta.content or "", end="", flush=True)',
    ].join("\n"),
    javascript: [
      'import OpenAI from "openai";',
      "",
      `const client = new OpenAI({ baseURL: "${base}/v1", apiKey: process.env.LLORCH_API_TOKEN });`,
      "const stream = await client.chat.completions.create({",
      `  model: ${m},`,
      '  messages: [{ role: "user", content: "Hello!" }],',
      "  stream: true,",
      "});",
      'for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta?.content ?? "");',
    ].join("\n"),
  };
}

function isLoopbackUrl(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === "localhost" || host === "[::1]" || host === "::1" || host.startsWith("127.");
  } catch {
    return true;
  }
}

/** The worker package's tarball name, as `npm pack -w worker-agent` writes it for this version. */
export function workerTarball(version: string): string {
  return `llama-orch-worker-${version || "<version>"}.tgz`;
}

/** The one line that installs the worker agent on a GPU machine from the packed tarball (docs/WORKER.md). */
export function workerInstallCommand(version: string): string {
  return `npm install -g ./${workerTarball(version)}`;
}

/**
 * The one line that starts a worker agent and joins it to this orchestrator, from the `join` string a
 * join token comes with (`<url>#<token>[@sha256:<CA fingerprint>]`). A worker on another machine
 * listens on all interfaces and advertises its hostname (https when the cluster uses TLS).
 */
export function workerJoinCommand(join: string): string {
  const base = join.slice(0, join.indexOf("#") < 0 ? join.length : join.indexOf("#"));
  const scheme = base.startsWith("https:") ? "https" : "http";
  const remote = isLoopbackUrl(base) ? "" : ` --bind 0.0.0.0:9200 --advertise-url ${scheme}://$(hostname):9200`;
  return `llama-orch-worker start --join '${join}' --models-dir ~/models${remote}`;
}
