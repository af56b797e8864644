// A starting policy for a dataset, with a comment on every rule: what
// `agora data policy template` prints. It is valid as written (lines starting
// with "//" are comments) and allows nothing until the owner names an
// algorithm.
export function policyTemplate(dataset: string): string {
  return `// The policy of dataset ${dataset}: save as <dataDir>/custody/policies/${dataset}.json.
// It is in force as soon as it is saved; a file that fails its checks leaves the last good one in force.
{
  "dataset": ${JSON.stringify(dataset)},
  "algorithms": {
    // Allowed algorithms by content hash: "sha3:<hex>" of a WASI module or GVMI image
    // (the hash of its task package hash:sha3:<hex>:<url>), "sha256:<hex>" of a container image.
    "hashes": [],
    // Node ids whose signed algorithm manifests you trust (agora data manifest sign|verify).
    "publishers": []
  },
  // Node ids that may use the dataset (absent: anyone), e.g.:
  // "requesters": ["0x0123456789abcdef0123456789abcdef01234567"],
  // Uses (activities admitted) in all, and by each requester.
  "uses": { "max": 100, "perRequester": 10 },
  // When the dataset may be used: ISO times [from, until) and UTC hours of the day [from, until).
  "window": { "hoursUtc": [0, 24] },
  "output": {
    // The largest total size of the files one activity releases, in bytes.
    "maxBytes": 65536,
    // The fewest rows behind any aggregate value or histogram cell.
    "minRows": 10,
    // The kinds of output file that may leave: aggregate, histogram, vector, model, table, text.
    "kinds": ["aggregate", "histogram", "vector"],
    // "none": stdout and stderr never come back (logs leak data); "full": they do.
    "logs": "none",
    // "status": exit codes come back only as 0 or 1; "full": as they are.
    "exitCodes": "status"
  },
  // Where results may go: "requester" (the agreement's), or other owners' node ids.
  "release": { "to": ["requester"] }
  // Differential privacy (noise added by this node before secure aggregation), e.g.:
  // , "privacy": { "mechanism": "laplace", "epsilonBudget": "1.0", "epsilonPerQuery": "0.1", "sensitivity": "1" }
}
`
}
