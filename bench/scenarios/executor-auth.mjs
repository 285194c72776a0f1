// Scenarios for executor-auth (see bench/scenarios.mjs for the fields).
export const scenarios = [];
