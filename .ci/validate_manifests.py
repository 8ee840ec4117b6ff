"""Check deploy/kubernetes/*.yaml without a cluster (.ci/deploy runs this).

Every document of every file is validated:
  - Kubernetes kinds against the API's JSON schema (kubernetes-validate's bundled copy, strict:
    an unknown or misspelt field is an error), for each version in KUBERNETES_VERSIONS;
  - the Argo CronWorkflow against Argo's types (hera-workflows' models, generated from Argo's
    API schema), turned into a JSON schema that also refuses unknown fields.
A kind with no schema is an error, not a skip. Then the rules the API server checks beyond its
schema (podFailurePolicy needs restartPolicy Never, ...), and agreement with kindred's
command-line contract: known commands, flags and KINDRED_* variables, and one shard count N
across prepare and the Indexed Job.

Prints one line per document, the errors with their file and field path; exit 1 on any error.
"""

import re
import sys
from pathlib import Path

import jsonschema
import yaml
from kubernetes_validate import utils
from referencing import Registry, Resource

# The oldest Kubernetes the manifests need (backoffLimitPerIndex and podFailurePolicy are GA
# in 1.33) and the newest whose schema kubernetes-validate bundles.
KUBERNETES_VERSIONS = ["1.33", "1.37"]

# kindred's commands and their flags (README "Commands" and "Running on a scheduler").
COMMON = {"--output", "--threads", "--quiet", "--log-format", "--input"}
FLAGS = {
    "run": COMMON | {"--force"},
    "prepare": COMMON | {"--shards"},
    "shard": COMMON | {"--index"},
    "publish": COMMON | {"--force"},
    "status": {"--max-age", "--json", "--log-format"},
}
ENV = {
    "KINDRED_PIPELINE", "KINDRED_INPUT", "KINDRED_OUTPUT", "KINDRED_THREADS", "KINDRED_QUIET",
    "KINDRED_FORCE", "KINDRED_LOG_FORMAT", "KINDRED_SHARDS", "KINDRED_INDEX", "KINDRED_MAX_AGE",
}


def strict(schema):
    """The JSON schema with additionalProperties: false on every object that lists properties."""
    if isinstance(schema, dict):
        if "properties" in schema and "additionalProperties" not in schema:
            schema["additionalProperties"] = False
        for value in schema.values():
            strict(value)
    elif isinstance(schema, list):
        for value in schema:
            strict(value)
    return schema


def leaves(error):
    """The innermost errors under an anyOf (the models' optional fields are anyOf [type, null]),
    without the null branch's: the misspelt key itself, not the whole list that holds it."""
    if not error.context:
        return [error]
    found = [leaf for e in error.context for leaf in leaves(e)]
    named = [e for e in found if not e.message.endswith("is not of type 'null'")]
    return named or [error]


def argo_validator():
    from hera.workflows.models import CronWorkflow

    schema = strict(CronWorkflow.model_json_schema(by_alias=True))
    # apiVersion and kind are optional in the model; here they must be the CRD's.
    schema["properties"]["apiVersion"] = {"const": "argoproj.io/v1alpha1"}
    schema["properties"]["kind"] = {"const": "CronWorkflow"}
    schema["required"] = sorted(set(schema.get("required", [])) | {"apiVersion", "kind", "metadata"})
    return jsonschema.Draft202012Validator(schema)


def schema_errors(doc, argo):
    """Schema errors of one document, as (path, message)."""
    if doc.get("apiVersion", "").startswith("argoproj.io/"):
        if doc.get("kind") != "CronWorkflow":
            return [("kind", f"no schema here for Argo kind {doc.get('kind')!r}")]
        return [
            (".".join(map(str, e.absolute_path)) or "(top)", e.message.splitlines()[0][:300])
            for top in argo.iter_errors(doc)
            for e in leaves(top)
        ]
    errors = []
    for version in KUBERNETES_VERSIONS:
        validator = kubernetes_validator(doc, version)
        if validator is None:
            errors.append(("kind", f"no Kubernetes {version} schema for {doc.get('apiVersion')} {doc.get('kind')}"))
            continue
        for e in validator.iter_errors(doc):
            path = ".".join(map(str, e.absolute_path)) or "(top)"
            errors.append((path, f"Kubernetes {version}: {e.message[:300]}"))
    return errors


def kubernetes_validator(doc, version):
    """kubernetes-validate's strict schema of the document's kind and API version, as a validator
    that lists every error (its own `validate` stops at the first); None if it has none."""
    api = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", str(doc.get("apiVersion", "")))
    folder = f"kubernetes-json-schema/v{version}.0-local-strict"
    try:
        schema = utils.schema_contents(f"{folder}/{str(doc.get('kind')).lower()}-{api}.json", version)
    except FileNotFoundError:
        return None
    definitions = utils.schema_contents(f"{folder}/_definitions.json", version)
    registry = Resource.from_contents(definitions) @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.Draft202012Validator(schema, registry=registry)


def pod_specs(doc):
    """(path, job spec or None, pod spec) of every pod template in a Kubernetes document."""
    kind, spec = doc.get("kind"), doc.get("spec") or {}
    if kind == "CronJob":
        job = (spec.get("jobTemplate") or {}).get("spec") or {}
        return [("spec.jobTemplate.spec", job, (job.get("template") or {}).get("spec") or {})]
    if kind == "Job":
        return [("spec", spec, (spec.get("template") or {}).get("spec") or {})]
    return []


def job_rule_errors(path, job, pod):
    """The Job rules the API server enforces beyond the schema."""
    errors = []
    names = {c.get("name") for c in pod.get("containers", [])}
    if job.get("podFailurePolicy") and pod.get("restartPolicy") != "Never":
        errors.append((path, "podFailurePolicy needs template.spec.restartPolicy: Never"))
    for i, rule in enumerate((job.get("podFailurePolicy") or {}).get("rules", [])):
        name = (rule.get("onExitCodes") or {}).get("containerName")
        if name is not None and name not in names:
            errors.append((f"{path}.podFailurePolicy.rules.{i}", f"no container named {name!r}"))
        if rule.get("action") == "FailIndex" and "backoffLimitPerIndex" not in job:
            errors.append((f"{path}.podFailurePolicy.rules.{i}", "FailIndex needs backoffLimitPerIndex"))
    indexed = job.get("completionMode") == "Indexed"
    for key in ("backoffLimitPerIndex", "maxFailedIndexes"):
        if key in job and not indexed:
            errors.append((f"{path}.{key}", "needs completionMode: Indexed"))
    completions, most = job.get("completions", 1), job.get("maxFailedIndexes")
    if isinstance(completions, int) and isinstance(most, int) and most > completions:
        errors.append((f"{path}.maxFailedIndexes", "is more than completions"))
    if indexed and job.get("completions") is None:
        errors.append((f"{path}.completions", "an Indexed Job needs completions"))
    return errors


def command_errors(path, container):
    """The container's kindred command line and KINDRED_* variables against the contract."""
    errors = []
    args = container.get("args") or []
    if not args or args[0] not in FLAGS:
        return [(f"{path}.args", f"first argument {args[:1]} is not a kindred command {sorted(FLAGS)}")]
    for arg in args[1:]:
        if arg.startswith("--") and arg.split("=")[0] not in FLAGS[args[0]]:
            errors.append((f"{path}.args", f"'kindred {args[0]}' has no flag {arg}"))
    for env in container.get("env") or []:
        name = env.get("name", "")
        if name.startswith("KINDRED_") and name not in ENV:
            errors.append((f"{path}.env", f"unknown variable {name} (kindred reads {sorted(ENV)})"))
    return errors


def kindred_containers(doc):
    """(path, container) of every container running the kindred image."""
    found = []
    for path, _job, pod in pod_specs(doc):
        for i, c in enumerate(pod.get("containers", [])):
            found.append((f"{path}.template.spec.containers.{i}", c))
    if doc.get("kind") == "CronWorkflow":
        templates = ((doc.get("spec") or {}).get("workflowSpec") or {}).get("templates") or []
        for i, t in enumerate(templates):
            if "container" in t:
                found.append((f"spec.workflowSpec.templates.{i}.container", t["container"]))
    return [(p, c) for p, c in found if "kindred" in str(c.get("image", ""))]


def env_value(container, name):
    return next((e.get("value") for e in container.get("env") or [] if e.get("name") == name), None)


def shard_count_errors(docs):
    """prepare's KINDRED_SHARDS (or --shards) = the Indexed Job's completions = parallelism."""
    prepared, indexed = [], []
    for file, doc in docs:
        for path, job, _pod in pod_specs(doc):
            if job.get("completionMode") == "Indexed":
                indexed.append((file, path, job.get("completions"), job.get("parallelism")))
        for path, c in kindred_containers(doc):
            args = c.get("args") or []
            if args[:1] == ["prepare"] and doc.get("kind") != "CronWorkflow":
                n = args[args.index("--shards") + 1] if "--shards" in args else env_value(c, "KINDRED_SHARDS")
                prepared.append((file, path, n))
    errors = []
    counts = {str(n) for _f, _p, n in prepared} | {str(c) for _f, _p, c, _q in indexed}
    if len(counts) > 1:
        where = [f"{f}: {p} = {n}" for f, p, n in prepared] + [f"{f}: {p}.completions = {c}" for f, p, c, _q in indexed]
        errors.append(("(files)", "shard counts differ: " + "; ".join(where)))
    for f, p, c, q in indexed:
        if c != q:
            errors.append((f"{f}: {p}", f"completions ({c}) and parallelism ({q}) differ"))
    return errors


def main(folder):
    argo = argo_validator()
    files = sorted(Path(folder).glob("*.yaml")) + sorted(Path(folder).glob("*.yml"))
    if not files:
        print(f"no manifests in {folder}", file=sys.stderr)
        return 1
    # failed: documents and files with errors; bad_docs: the documents among them
    failed, bad_docs, docs = 0, 0, []
    for file in files:
        try:
            loaded = [d for d in yaml.safe_load_all(file.read_text()) if d is not None]
        except yaml.YAMLError as e:
            print(f"FAIL {file}: not YAML: {e}")
            failed += 1
            continue
        for doc in loaded:
            if not isinstance(doc, dict):
                print(f"FAIL {file}: a document is not a mapping")
                failed += 1
                continue
            docs.append((file, doc))
            errors = schema_errors(doc, argo)
            for path, job, pod in pod_specs(doc):
                errors += job_rule_errors(path, job, pod)
            for path, container in kindred_containers(doc):
                errors += command_errors(path, container)
            name = (doc.get("metadata") or {}).get("name") or (doc.get("metadata") or {}).get("generateName")
            label = f"{file}: {doc.get('kind')}/{name}"
            if errors:
                failed += 1
                bad_docs += 1
                print(f"FAIL {label}")
                for path, message in errors:
                    print(f"    {path}: {message}")
            else:
                print(f"ok   {label}")
    for path, message in shard_count_errors(docs):
        failed += 1
        print(f"FAIL {path}: {message}")
    print(f"{len(docs) - bad_docs} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "deploy/kubernetes"))
