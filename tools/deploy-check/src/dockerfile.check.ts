import {
  type Cmd,
  type Copy,
  DockerfileParser,
  type Env,
  type From,
  type Instruction,
  type Label,
} from 'dockerfile-ast';
import { type Violation, violation } from './violation';

export interface DockerfileTarget {
  /** Relative to the workspace, for messages: `apps/gcp-token/Dockerfile`. */
  readonly file: string;
  readonly app: string;
  /** The port the app listens on (its env spec's defaultPort). */
  readonly port: number;
}

interface Stage {
  readonly index: number;
  readonly name?: string;
  readonly from: From;
  readonly instructions: readonly Instruction[];
}

/** How the runtime stage installs and starts the app: what the runtime boot suite repeats outside Docker. */
export interface RuntimeRecipe {
  /** The production install, e.g. ['npm', 'ci', '--omit=dev', '--ignore-scripts', ...]. */
  readonly install: readonly string[];
  /** The exec-form CMD, e.g. ['node', 'main.js']. */
  readonly cmd: readonly string[];
  /** ENV of the runtime stage (NODE_ENV, PORT, ...). */
  readonly env: Readonly<Record<string, string>>;
}

const OCI = 'org.opencontainers.image.';
const PRODUCTION_INSTALL = /^npm\s+(ci|install)\b.*\s--omit=dev\b/;

function stagesOf(text: string): Stage[] {
  const stages: { index: number; name?: string; from: From; instructions: Instruction[] }[] = [];
  for (const instruction of DockerfileParser.parse(text).getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      const from = instruction as From;
      stages.push({ index: stages.length, name: from.getBuildStage() ?? undefined, from, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

function ofKeyword<T extends Instruction>(stage: Stage, keyword: string): T[] {
  return stage.instructions.filter((instruction): instruction is T => instruction.getKeyword() === keyword);
}

function findStage(stages: readonly Stage[], reference: string): Stage | undefined {
  const byName = stages.find((stage) => stage.name?.toLowerCase() === reference.toLowerCase());
  return byName ?? (/^\d+$/.test(reference) ? stages[Number(reference)] : undefined);
}

/** The image a stage finally stands on, following `FROM <earlier stage>`. */
function baseImageOf(stages: readonly Stage[], stage: Stage): From {
  let current = stage;
  for (let hops = 0; hops < stages.length; hops++) {
    const image = current.from.getImage() ?? '';
    const earlier = findStage(stages.slice(0, current.index), image);
    if (!earlier) return current.from;
    current = earlier;
  }
  return current.from;
}

function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const instruction of ofKeyword<Env>(stage, 'ENV')) {
    for (const property of instruction.getProperties()) env[property.getName()] = property.getValue() ?? '';
  }
  return env;
}

function labelsOf(stage: Stage): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const label of ofKeyword<Label>(stage, 'LABEL')) {
    for (const property of label.getProperties()) labels[property.getName()] = property.getValue() ?? '';
  }
  return labels;
}

function runCommands(stage: Stage): string[] {
  return ofKeyword(stage, 'RUN').map((run) => run.getArgumentsContent() ?? '');
}

/** The `npm ci|install --omit=dev ...` part of a RUN line (before or between `&&`). */
function productionInstall(stage: Stage): string | undefined {
  return runCommands(stage)
    .flatMap((command) => command.split(/&&|;/).map((part) => part.replace(/\\\n/g, ' ').trim()))
    .find((part) => PRODUCTION_INSTALL.test(part));
}

function execForm(instruction: Cmd | undefined): string[] | undefined {
  if (!instruction || instruction.getOpeningBracket() === null || instruction.getClosingBracket() === null)
    return undefined;
  return instruction.getJSONStrings().map((argument) => argument.getJSONValue());
}

function checkBaseImage(file: string, stages: readonly Stage[], runtime: Stage): Violation[] {
  const from = baseImageOf(stages, runtime);
  const image = from.getImage() ?? '';
  const subject = `${file}: runtime stage FROM ${image}`;
  const tag = from.getImageTag() ?? '';
  const digest = from.getImageDigest();
  const found: Violation[] = [];
  if (!/^\d+\.\d+\.\d+(-|$)/.test(tag) && !/^sha256:[0-9a-f]{64}$/.test(digest ?? '')) {
    found.push(
      violation(
        'dockerfile/base-image-pinned',
        subject,
        'must be pinned by an exact version tag (x.y.z) or a digest',
      ),
    );
  }
  const name = (from.getImageName() ?? '').replace(/^(docker\.io\/)?(library\/)?/, '');
  const major = Number(/^(\d+)/.exec(tag)?.[1] ?? NaN);
  if (
    name !== 'node' ||
    !(major >= 20 && major % 2 === 0) ||
    !/(^|-)(slim|alpine)/.test(tag.replace(/^\d+(\.\d+)*-?/, ''))
  ) {
    found.push(
      violation(
        'dockerfile/base-image-lts',
        subject,
        'must be a current LTS Node (even major, 20 or newer) slim or alpine image, named in its tag',
      ),
    );
  }
  return found;
}

function checkRuntimeCopies(
  file: string,
  app: string,
  stages: readonly Stage[],
  runtime: Stage,
): Violation[] {
  const subject = `${file}: runtime stage`;
  const distPath = new RegExp(`(^|/)dist/apps/${app.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(/|$)`);
  const found: Violation[] = [];
  for (const add of ofKeyword(runtime, 'ADD')) {
    found.push(
      violation(
        'dockerfile/runtime-copies',
        subject,
        `ADD ${add.getArgumentsContent() ?? ''} must be a COPY --from the build stage`,
      ),
    );
  }
  for (const copy of ofKeyword<Copy>(runtime, 'COPY')) {
    const fromStage = copy.getFromFlag()?.getValue();
    const source = fromStage ? findStage(stages.slice(0, runtime.index), fromStage) : undefined;
    const paths = copy.getArguments().map((argument) => argument.getValue());
    const sources = paths.slice(0, -1);
    if (!source || sources.length === 0 || !sources.every((path) => distPath.test(path))) {
      found.push(
        violation(
          'dockerfile/runtime-copies',
          subject,
          `COPY ${copy.getArgumentsContent() ?? ''} must copy only dist/apps/${app} from the build stage`,
        ),
      );
    }
  }
  return found;
}

/** The Dockerfile rules for one app's image. */
export function checkDockerfile(text: string, target: DockerfileTarget): Violation[] {
  const { file, app, port } = target;
  const stages = stagesOf(text);
  const runtime = stages.at(-1);
  if (!runtime) return [violation('dockerfile/multi-stage', file, 'has no FROM')];
  const found: Violation[] = [];
  const add = (rule: string, text: string) => found.push(violation(rule, `${file}: runtime stage`, text));
  const builders = stages.slice(0, -1);

  // The build-stage rules presume a build stage; a single-stage file breaks the one rule that says so.
  if (stages.length < 2) {
    found.push(
      violation(
        'dockerfile/multi-stage',
        file,
        'must be multi-stage (a build stage, then the runtime stage)',
      ),
    );
  } else {
    const nxBuild = new RegExp(`\\bnx\\s+(build\\s+${app}\\b|run\\s+${app}:build\\b)`);
    if (!builders.some((stage) => runCommands(stage).some((command) => nxBuild.test(command)))) {
      found.push(violation('dockerfile/nx-build', file, `a build stage must RUN nx build ${app}`));
    }
    found.push(...checkRuntimeCopies(file, app, stages, runtime));
  }
  found.push(...checkBaseImage(file, stages, runtime));
  if (!productionInstall(runtime))
    add('dockerfile/production-install', 'must install production dependencies only: RUN npm ci --omit=dev');

  const env = envOf(runtime);
  if (env['NODE_ENV'] !== 'production') add('dockerfile/node-env', 'must set ENV NODE_ENV=production');
  const user = ofKeyword(runtime, 'USER').at(-1)?.getArgumentsContent()?.trim();
  if (!user || !/^(node|1000)(:(node|1000))?$/.test(user))
    add('dockerfile/user', `must run as USER node (is ${user ?? 'root'})`);

  const healthcheck = ofKeyword(runtime, 'HEALTHCHECK').at(-1)?.getArgumentsContent() ?? '';
  if (!/^CMD\b/i.test(healthcheck.trim()) || !healthcheck.includes('/health/live')) {
    add('dockerfile/healthcheck', 'must have a HEALTHCHECK CMD that requests /health/live');
  }
  const entrypoint = ofKeyword<Cmd>(runtime, 'ENTRYPOINT').at(-1);
  if (!execForm(ofKeyword<Cmd>(runtime, 'CMD').at(-1)) || (entrypoint && !execForm(entrypoint))) {
    add('dockerfile/cmd-exec-form', 'CMD (and any ENTRYPOINT) must be in exec form: CMD ["node", "main.js"]');
  }

  const labels = labelsOf(runtime);
  const missingLabels = ['title', 'version', 'revision'].filter((key) => !labels[`${OCI}${key}`]);
  if (!labels[`${OCI}source`] && !labels[`${OCI}vendor`]) missingLabels.push('source or vendor');
  if (missingLabels.length > 0)
    add('dockerfile/oci-labels', `must LABEL ${missingLabels.map((key) => OCI + key).join(', ')}`);
  else if (labels[`${OCI}title`] !== app) add('dockerfile/oci-labels', `LABEL ${OCI}title must be ${app}`);

  const exposed = ofKeyword(runtime, 'EXPOSE').flatMap((expose) =>
    expose.getArguments().map((argument) => argument.getValue()),
  );
  if (!exposed.some((value) => value.replace(/\/tcp$/i, '') === String(port)))
    add('dockerfile/expose', `must EXPOSE ${port}, the app's port`);
  else if (env['PORT'] !== undefined && env['PORT'] !== String(port))
    add('dockerfile/expose', `ENV PORT=${env['PORT']} must be ${port}, the port it EXPOSEs`);
  return found;
}

/** What the runtime boot suite needs from a Dockerfile; throws when the runtime stage does not say. */
export function runtimeRecipe(text: string, file: string): RuntimeRecipe {
  const runtime = stagesOf(text).at(-1);
  const install = runtime && productionInstall(runtime);
  const cmd = runtime && execForm(ofKeyword<Cmd>(runtime, 'CMD').at(-1));
  if (!runtime || !install || !cmd)
    throw new Error(`${file}: the runtime stage has no npm ci --omit=dev or no exec-form CMD`);
  return { install: install.split(/\s+/), cmd, env: envOf(runtime) };
}

/** Paths the build stages COPY from the build context (no --from): what .dockerignore must let through. */
export function buildContextSources(text: string): string[] {
  return stagesOf(text).flatMap((stage) =>
    ofKeyword<Copy>(stage, 'COPY')
      .filter((copy) => !copy.getFromFlag())
      .flatMap((copy) =>
        copy
          .getArguments()
          .map((argument) => argument.getValue())
          .slice(0, -1),
      ),
  );
}
