// The error sender lives in the shared server layer; handlers keep importing it from here.
export { sendError } from "../../../src-node/error-sender.js";
