-- `dsar report` reads the requests received in a period (casestore.queries.requests_received_between).
-- At 100,000 requests a year, and with retention keeping the accountability record for years,
-- that range is found by index instead of reading the whole table.
CREATE INDEX requests_received_on ON requests (received_on);
