import { spawn, type ChildProcess } from "node:child_process";

// A client that stops reading: a raw socket with a 4 KiB receive buffer (Node cannot set SO_RCVBUF,
// Python can) that sends one request, reads the response head and then never reads again, so what the
// server sends piles up on the server's side. Without the small buffer a loopback receiver keeps
// acknowledging megabytes into its kernel queue, far more than a test's stream produces.
const STALLED_CLIENT = `
import socket, sys, time
host, port, request = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect((host, port))
s.sendall(request)
head = s.recv(4096)
sys.stdout.write(head.decode("latin1").split("\\r\\n\\r\\n")[0] + "\\n")
sys.stdout.flush()
time.sleep(300)
`;

/**
 * Sends the raw HTTP/1.1 `request` to `baseUrl` from a client that stops reading after the response
 * head; resolves with the process (kill it to end the client) and the head (status line and headers).
 */
export function startStalledClient(baseUrl: string, request: string): Promise<{ child: ChildProcess; head: string }> {
  const url = new URL(baseUrl);
  const child = spawn("python3", ["-c", STALLED_CLIENT, url.hostname, url.port, request], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.once("error", reject);
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString("latin1");
      if (out.includes("\n")) resolve({ child, head: out.trim() });
    });
  });
}
