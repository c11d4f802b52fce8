import { describe, expect, it } from "vitest";
import { parseTcpTable } from "./tcp-send-queue.js";

// Lines as Linux prints them (net/ipv4/tcp_ipv4.c get_tcp4_sock, net/ipv6/tcp_ipv6.c get_tcp6_sock):
// addresses are host-order words (little-endian here), ports hex, state 01 = ESTABLISHED, 0A = LISTEN.
const TCP4 = [
  "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
  "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1 0000000000000000 100 0 0 10 0",
  "   1: 0100007F:1F90 0100007F:D2B4 01 0000001A:00000000 01:00000014 00000000     0        0 1002 1 0000000000000000 20 4 30 10 -1",
  "   2: 0100007F:D2B4 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 1003 1 0000000000000000 20 4 30 10 -1",
  "   3: 0F02000A:0016 6401A8C0:C350 01 00010000:00000000 01:00000014 00000000     0        0 1004 1 0000000000000000 20 4 30 10 -1",
  "   4: 0100007F:2328 0100007F:9C40 06 00000000:00000000 03:00000C52 00000000     0        0 0 3 0000000000000000",
  "10000: 0100007F:1F91 0100007F:D2B5 01 000000FF:00000000 01:00000014 00000000     0        0 1005 1 0000000000000000 20 4 30 10 -1",
  "",
].join("\n");
const TCP6 = [
  "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
  "   0: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF00000100007F:E000 01 00000010:00000000 01:00000014 00000000     0        0 2001 1 0000000000000000 20 4 30 10 -1",
  "   1: 00000000000000000000000001000000:1F90 00000000000000000000000001000000:E001 01 00000020:00000000 01:00000014 00000000     0        0 2002 1 0000000000000000 20 4 30 10 -1",
  "   2: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2003 1 0000000000000000 100 0 0 10 0",
].join("\n");

describe("parseTcpTable", () => {
  it("lists established IPv4 sockets by local port, remote address and port, with their send queue", () => {
    expect([...parseTcpTable(TCP4)]).toEqual([
      ["8080>127.0.0.1:53940", 0x1a],
      ["53940>127.0.0.1:8080", 0],
      ["22>192.168.1.100:50000", 0x10000],
      ["8081>127.0.0.1:53941", 0xff], // a five-digit slot number shifts every field
    ]);
  });

  it("reads IPv4-mapped IPv6 remotes as IPv4 and pure IPv6 remotes by ports alone; skips listeners and time-wait", () => {
    expect([...parseTcpTable(TCP6)]).toEqual([
      ["8080>127.0.0.1:57344", 0x10],
      ["8080>v6:57345", 0x20],
    ]);
  });

  it("a header alone, an empty text and a truncated line give nothing", () => {
    expect(parseTcpTable(TCP4.split("\n")[0] as string).size).toBe(0);
    expect(parseTcpTable("").size).toBe(0);
    expect(parseTcpTable(`${TCP4.split("\n")[0]}\n   1: 0100007F:1F90 0100007F:D2B4 01`).size).toBe(0);
  });
});
