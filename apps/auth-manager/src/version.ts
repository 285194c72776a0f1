/** The app's version, reported by /version, /openapi.json and the health endpoints. */
export const AUTH_MANAGER_VERSION = '0.1.0';
