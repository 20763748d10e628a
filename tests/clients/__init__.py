"""Real calendar and directory clients, run from the tests: Mozilla ical.js and tsml-ui's loader."""
