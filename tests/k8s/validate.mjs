// Validates custom resources against their CRDs' schemas (kubernetes-models, generated from
// KEDA's and Strimzi's CRDs). Reads a JSON array of objects on stdin; prints one JSON line per
// object: {kind, name, error}; error is null when the object is valid. Unknown kinds are errors.
import * as keda from "@kubernetes-models/keda/keda.sh/v1alpha1";
import * as strimzi from "@kubernetes-models/strimzi-kafka-operator/kafka.strimzi.io/v1";

const MODELS = { "keda.sh/v1alpha1": keda, "kafka.strimzi.io/v1": strimzi };

let input = "";
for await (const chunk of process.stdin) input += chunk;
for (const object of JSON.parse(input)) {
  const { apiVersion, kind } = object;
  const name = object.metadata?.name ?? null;
  const Model = MODELS[apiVersion]?.[kind];
  let error = null;
  if (!Model) error = `no schema for ${apiVersion} ${kind}`;
  else {
    try {
      new Model(object).validate();
    } catch (e) {
      error = e.message;
    }
  }
  console.log(JSON.stringify({ kind, name, error }));
}
