// Introspects a running Parley server the way GraphQL tools do: graphql-js's
// getIntrospectionQuery() with every option, then buildClientSchema. Called
// by .ci/introspection.sh, which installs graphql and starts the server.
//
//	PARLEY_URL=http://127.0.0.1:38xxx PARLEY_KEY=sk_test_... \
//	  PARLEY_NODE_MODULES=/path/to/node_modules node .ci/introspection.mjs
//
// Exits non-zero on the first failed check.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const base = process.env.PARLEY_URL;
const key = process.env.PARLEY_KEY;
const modules = process.env.PARLEY_NODE_MODULES;
if (!base || !key || !modules) {
  console.error('introspection: set PARLEY_URL, PARLEY_KEY and PARLEY_NODE_MODULES');
  process.exit(2);
}
const require = createRequire(path.join(modules, 'noop.js'));
const graphqlMain = require.resolve('graphql');
const {
  getIntrospectionQuery, buildClientSchema, buildSchema, findBreakingChanges,
  isObjectType, isInterfaceType, isInputObjectType, isEnumType, specifiedScalarTypes,
} = await import(graphqlMain);

function fail(msg) {
  console.error(`FAIL: ${msg}`);
  process.exit(1);
}

// Every boolean option graphql-js offers, read from its own type declaration
// so that a newer release with a new option fails here until it is decided.
const dts = fs.readFileSync(path.join(path.dirname(graphqlMain), 'utilities', 'getIntrospectionQuery.d.ts'), 'utf8');
const optionsBlock = dts.match(/interface IntrospectionOptions \{([\s\S]*?)\n\}/)?.[1];
if (!optionsBlock) fail('cannot find IntrospectionOptions in graphql-js');
const offered = [...optionsBlock.matchAll(/^\s*(\w+)\?: boolean;/gm)].map((m) => m[1]);

// Options not in the GraphQL specification that gqlgen does not implement.
const unsupported = {
  experimentalDirectiveDeprecation: 'an RFC, not in the GraphQL specification; gqlgen has no __Directive.isDeprecated',
};
const options = {};
for (const name of offered) {
  if (unsupported[name]) {
    console.log(`option ${name}: off (${unsupported[name]})`);
  } else {
    options[name] = true;
  }
}
for (const name of ['descriptions', 'specifiedByUrl', 'directiveIsRepeatable', 'schemaDescription', 'inputValueDeprecation', 'oneOf']) {
  if (!options[name]) fail(`graphql-js no longer offers the option ${name}`);
}
console.log(`options on: ${Object.keys(options).join(', ')}`);
const query = getIntrospectionQuery(options);
for (const field of ['specifiedByURL', 'isRepeatable', 'includeDeprecated: true', 'isOneOf']) {
  if (!query.includes(field)) fail(`the introspection query does not ask for ${field}`);
}

async function post(headers) {
  const res = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify({ query, operationName: 'IntrospectionQuery' }),
  });
  return { status: res.status, body: await res.json() };
}

// The schema, like the data, needs a key (README, "The playground").
const anonymous = await post({});
if (anonymous.status !== 401 || anonymous.body.errors?.[0]?.extensions?.code !== 'unauthorized') {
  fail(`introspection without a key: status ${anonymous.status}, want 401 unauthorized`);
}

const { status, body } = await post({ authorization: `Bearer ${key}` });
if (status !== 200 || body.errors) {
  fail(`introspection: status ${status}, errors ${JSON.stringify(body.errors)}`);
}
const served = buildClientSchema(body.data); // validates the whole result
console.log(`buildClientSchema: ${Object.keys(served.getTypeMap()).length} types`);

// What dashboards and code generators reach first.
const queryFields = served.getQueryType()?.getFields() ?? {};
for (const name of ['conversations', 'agents', 'participants', 'node', 'nodes', 'viewer', 'conversation', 'agent']) {
  if (!queryFields[name]) fail(`Query.${name} is missing`);
}
const conversations = queryFields.conversations;
if (String(conversations.type) !== 'ConversationConnection!') fail(`Query.conversations is ${conversations.type}`);
for (const arg of ['first', 'after', 'last', 'before', 'where', 'orderBy']) {
  if (!conversations.args.some((a) => a.name === arg)) fail(`Query.conversations has no argument ${arg}`);
}
if (!served.getMutationType()) fail('no Mutation type');
const status_ = served.getType('ConversationStatus');
const statuses = isEnumType(status_) ? status_.getValues().map((v) => v.name).sort().join(',') : '';
if (statuses !== 'abandoned,archived,completed,in_progress,pending') fail(`ConversationStatus values: ${statuses}`);

// The served schema is the one in graph/*.graphqls: nothing missing or
// changed, descriptions included; beyond it only GraphQL's own scalars and
// gqlgen's built-in @defer.
const graphDir = new URL('../graph/', import.meta.url);
const sdl = fs.readdirSync(graphDir).filter((f) => f.endsWith('.graphqls')).sort()
  .map((f) => fs.readFileSync(new URL(f, graphDir), 'utf8')).join('\n');
const declared = buildSchema(sdl);
const changes = findBreakingChanges(declared, served);
if (changes.length) fail(`the served schema differs from graph/*.graphqls:\n${changes.map((c) => c.description).join('\n')}`);

const builtIn = new Set(specifiedScalarTypes.map((t) => t.name));
for (const name of Object.keys(served.getTypeMap())) {
  if (!name.startsWith('__') && !declared.getType(name) && !builtIn.has(name)) fail(`served type ${name} is not in graph/*.graphqls`);
}
for (const d of served.getDirectives()) {
  if (!declared.getDirective(d.name) && d.name !== 'defer') fail(`served directive @${d.name} is not in graph/*.graphqls`);
}

let described = 0;
const sameDescription = (where, want, got) => {
  if ((want ?? '') !== (got ?? '')) fail(`${where}: description ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  if (want) described++;
};
for (const type of Object.values(declared.getTypeMap())) {
  if (type.name.startsWith('__')) continue;
  const mine = served.getType(type.name);
  sameDescription(type.name, type.description, mine.description);
  if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
    const fields = mine.getFields();
    for (const f of Object.values(type.getFields())) {
      sameDescription(`${type.name}.${f.name}`, f.description, fields[f.name].description);
      for (const a of f.args ?? []) {
        sameDescription(`${type.name}.${f.name}(${a.name})`, a.description, fields[f.name].args.find((x) => x.name === a.name).description);
      }
    }
  }
  if (isEnumType(type)) {
    for (const v of type.getValues()) sameDescription(`${type.name}.${v.name}`, v.description, mine.getValue(v.name).description);
  }
  if (isInputObjectType(type) && type.isOneOf !== mine.isOneOf) fail(`${type.name}: isOneOf ${mine.isOneOf}, want ${type.isOneOf}`);
}
if (described < 100) fail(`only ${described} descriptions came through`);
console.log(`the served schema matches graph/*.graphqls (${described} descriptions)`);
console.log('PASS: full introspection with every option builds the client schema');
