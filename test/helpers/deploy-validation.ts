import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Ajv from 'ajv';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import * as ts from 'typescript';
import { parse, parseAllDocuments } from 'yaml';

/**
 * Schema validation of the deployment files, with no Docker engine and no cluster:
 * - docker-compose.yml against the Compose Specification's JSON schema (the copy the `dclint`
 *   package ships), with ajv, plus the references `docker compose config` resolves (services in
 *   `depends_on`, named volumes);
 * - Kubernetes manifests against the schemas generated from the Kubernetes OpenAPI document
 *   (`kubernetes-models`: ajv-compiled validators for types, required fields and formats), and,
 *   because those let unknown fields through, strictly against the same package's TypeScript types
 *   (an object literal with a misspelt field is a compile error), as `kubectl --validate=strict`.
 */
const ROOT = resolve(__dirname, '../..');

type Document = Record<string, unknown>;

export function validateCompose(text: string): string[] {
  const compose = parse(text, { merge: true }) as Document;
  const schemaFile = join(
    dirname(require.resolve('dclint/package.json')),
    'schemas/compose.schema.json',
  );
  // A draft-07 schema, as ajv's default; its `$schema` spells the draft's URL in a way ajv does not know.
  const { $schema: _draft, ...schema } = JSON.parse(readFileSync(schemaFile, 'utf8')) as Document;
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(schema);
  const problems: string[] = [];
  if (!validate(compose)) {
    for (const error of validate.errors ?? []) {
      problems.push(
        `${error.instancePath || '/'} ${error.message ?? ''} ${JSON.stringify(error.params)}`,
      );
    }
    return problems;
  }
  const services = (compose.services ?? {}) as Record<string, Document>;
  const volumes = Object.keys(compose.volumes ?? {});
  for (const [name, service] of Object.entries(services)) {
    // Compose interpolates the whole file before it picks profiles: a required variable in a
    // service of a profile stops every command that lacks it, whatever the profiles asked for.
    const required = [...JSON.stringify(service).matchAll(/\$\{(\w+):\?/g)].map((m) => m[1]);
    if (service.profiles !== undefined && required.length > 0) {
      problems.push(
        `/services/${name} is in a profile and requires ${required.join(', ')}: every command of the file would`,
      );
    }
    const dependsOn = service.depends_on ?? [];
    const needed = Array.isArray(dependsOn) ? (dependsOn as string[]) : Object.keys(dependsOn);
    for (const other of needed) {
      if (!(other in services))
        problems.push(`/services/${name}/depends_on names no service: ${other}`);
    }
    for (const volume of (service.volumes ?? []) as unknown[]) {
      const source =
        typeof volume === 'string' ? volume.split(':')[0] : (volume as Document).source;
      if (
        typeof source === 'string' &&
        /^[A-Za-z0-9][\w.-]*$/.test(source) &&
        !volumes.includes(source)
      ) {
        problems.push(`/services/${name}/volumes names an undeclared volume: ${source}`);
      }
    }
  }
  return problems;
}

/** A kind's model (its compiled schema), and its module and interface for the strict check. */
interface KubernetesKind {
  readonly Model: new (data: Document) => { validate(): void };
  /** `I<name>` in `<module>/<name>` is the kind's TypeScript interface. */
  readonly module: string;
  readonly name: string;
}

/** The kinds deploy/kubernetes/ uses, by `apiVersion/kind`. */
const KINDS: Record<string, KubernetesKind> = {
  'v1/ConfigMap': { Model: ConfigMap, module: 'kubernetes-models/v1', name: 'ConfigMap' },
  'v1/Secret': { Model: Secret, module: 'kubernetes-models/v1', name: 'Secret' },
  'v1/Service': { Model: Service, module: 'kubernetes-models/v1', name: 'Service' },
  'apps/v1/Deployment': {
    Model: Deployment,
    module: 'kubernetes-models/apps/v1',
    name: 'Deployment',
  },
  'autoscaling/v2/HorizontalPodAutoscaler': {
    Model: HorizontalPodAutoscaler,
    module: 'kubernetes-models/autoscaling/v2',
    name: 'HorizontalPodAutoscaler',
  },
  'policy/v1/PodDisruptionBudget': {
    Model: PodDisruptionBudget,
    module: 'kubernetes-models/policy/v1',
    name: 'PodDisruptionBudget',
  },
};

export interface NamedManifests {
  readonly name: string;
  readonly text: string;
}

/** Every problem of every document of the given files, each prefixed by `file#index`. */
export function validateKubernetes(files: readonly NamedManifests[]): string[] {
  const problems: string[] = [];
  const typed: { where: string; kind: KubernetesKind; document: Document }[] = [];
  for (const file of files) {
    parseAllDocuments(file.text).forEach((parsed, index) => {
      const where = `${file.name}#${index}`;
      if (parsed.errors.length > 0) {
        problems.push(`${where}: ${parsed.errors.map((error) => error.message).join('; ')}`);
        return;
      }
      const document = parsed.toJS() as Document | null;
      if (document === null) return;
      const kind = KINDS[`${String(document.apiVersion)}/${String(document.kind)}`];
      if (kind === undefined) {
        problems.push(
          `${where}: unknown kind ${String(document.apiVersion)} ${String(document.kind)}`,
        );
        return;
      }
      try {
        new kind.Model(document).validate();
      } catch (error) {
        problems.push(`${where}: ${error instanceof Error ? error.message : String(error)}`);
        return;
      }
      typed.push({ where, kind, document });
    });
  }
  return [...problems, ...strictTypeProblems(typed)];
}

/**
 * Checks each document as an object literal of its kind's TypeScript interface: unknown fields
 * (at any depth) and wrong types are errors. One program for all documents (a few seconds).
 */
function strictTypeProblems(
  documents: readonly { where: string; kind: KubernetesKind; document: Document }[],
): string[] {
  if (documents.length === 0) return [];
  const fileName = join(ROOT, '__deploy_manifests__.ts');
  const lines: string[] = [];
  const owners: { line: number; where: string }[] = [];
  documents.forEach(({ where, kind, document }, index) => {
    lines.push(`import type { I${kind.name} as T${index} } from '${kind.module}/${kind.name}';`);
    owners.push({ line: lines.length, where });
    lines.push(`export const m${index}: T${index} = ${JSON.stringify(document)};`);
  });
  const text = `${lines.join('\n')}\n`;
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts'],
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.getSourceFile = (name, language, ...rest) =>
    name === fileName
      ? ts.createSourceFile(name, text, language)
      : getSourceFile(name, language, ...rest);
  host.fileExists = (name) => name === fileName || fileExists(name);
  const program = ts.createProgram([fileName], options, host);
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ');
    if (diagnostic.file?.fileName !== fileName || diagnostic.start === undefined) return message;
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    const owner = owners.filter((candidate) => candidate.line <= line).pop();
    return `${owner?.where ?? '?'}: ${message}`;
  });
}
