// Scenarios for llm-proxy (see bench/scenarios.mjs for the fields).
export const scenarios = [];
