/** Version of the HTTP API: OpenAPI info.version and capabilities.api_version (spec §2.1: 2.0.0). */
export const API_VERSION = "2.0.0";
