// Scenarios for auth-manager (see bench/scenarios.mjs for the fields).
export const scenarios = [];
