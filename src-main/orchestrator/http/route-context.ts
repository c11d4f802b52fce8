// The handler signature lives in the shared server layer; handlers keep importing it from here.
export type { Identity, RouteContext, RouteHandler } from "../../../src-node/route-context.js";
