// Scenarios for api-key-manager (see bench/scenarios.mjs for the fields).
export const scenarios = [];
