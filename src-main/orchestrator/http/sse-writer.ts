// The SSE writer lives in the shared server layer; handlers keep importing it from here.
export { openSse } from "../../../src-node/sse-writer.js";
