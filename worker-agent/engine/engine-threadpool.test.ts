import { describe, expect, it } from "vitest";
import { engineChildEnv } from "./engine-threadpool.js";

describe("engineChildEnv", () => {
  it("gives the engine child one thread-pool thread on a machine of two cores or fewer", () => {
    expect(engineChildEnv({ PATH: "/bin" }, 2)).toEqual({ PATH: "/bin", UV_THREADPOOL_SIZE: "1" });
    expect(engineChildEnv({}, 1).UV_THREADPOOL_SIZE).toBe("1");
  });

  it("leaves larger machines at libuv's default", () => {
    expect(engineChildEnv({ PATH: "/bin" }, 3)).toEqual({ PATH: "/bin" });
  });

  it("keeps an operator's UV_THREADPOOL_SIZE", () => {
    expect(engineChildEnv({ UV_THREADPOOL_SIZE: "4" }, 2)).toEqual({ UV_THREADPOOL_SIZE: "4" });
  });
});
