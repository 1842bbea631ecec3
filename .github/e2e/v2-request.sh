#!/usr/bin/env bash
# Print one V2 inference request (the first row of housing.csv; one input per raw column, shape [1]).
set -euo pipefail
cat <<'JSON'
{"inputs":[
 {"name":"longitude","shape":[1],"datatype":"FP64","data":[-122.23]},
 {"name":"latitude","shape":[1],"datatype":"FP64","data":[37.88]},
 {"name":"housing_median_age","shape":[1],"datatype":"FP64","data":[41.0]},
 {"name":"total_rooms","shape":[1],"datatype":"FP64","data":[880.0]},
 {"name":"total_bedrooms","shape":[1],"datatype":"FP64","data":[129.0]},
 {"name":"population","shape":[1],"datatype":"FP64","data":[322.0]},
 {"name":"households","shape":[1],"datatype":"FP64","data":[126.0]},
 {"name":"median_income","shape":[1],"datatype":"FP64","data":[8.3252]},
 {"name":"ocean_proximity","shape":[1],"datatype":"BYTES","data":["NEAR BAY"]}]}
JSON
