-- Lists filtered by type walk the newest ids of that type without a sort.
CREATE INDEX intel_indicators_type_id ON intel_indicators(type, id);
