/**
 * A small builder of DynamoDB update parts (SET, REMOVE, ADD and a condition) with generated
 * placeholders: attribute `x` is always `#x`, its value `:x`, so parts built apart can be
 * combined, and a placeholder bound to two different values is an error here, not a silent
 * overwrite. (The libraries looked at were unmaintained or parse strings as operators.)
 */

/** The parts of one UpdateItem, before they are joined into expressions. */
export interface UpdateParts {
  /** SET clauses: `#a = :a`, `#a = #a + :aDelta`, `#a = if_not_exists(#a, :a)`. */
  set: string[];
  /** REMOVE clauses: `#a`. */
  remove: string[];
  /** ADD clauses: `#a :a` (numbers and sets). */
  add: string[];
  /** Condition parts, all of which must hold. */
  condition: string[];
  names: Record<string, string>;
  values: Record<string, unknown>;
}

/** The input fields an UpdateCommand takes from the parts. */
export interface UpdateInput {
  UpdateExpression: string;
  ConditionExpression?: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}

const empty = (): UpdateParts => ({ set: [], remove: [], add: [], condition: [], names: {}, values: {} });

/** Every `#name` placeholder in an expression, mapped to its attribute. */
function namesIn(expression: string): Record<string, string> {
  return Object.fromEntries([...expression.matchAll(/#(\w+)/g)].map(([placeholder, name]) => [placeholder, name!]));
}

/** `#a = :a` for each attribute whose value is defined (`null` is written, `undefined` skipped). */
export function set(attrs: Record<string, unknown>): UpdateParts {
  const parts = empty();
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined) continue;
    parts.set.push(`#${name} = :${name}`);
    parts.names[`#${name}`] = name;
    parts.values[`:${name}`] = value;
  }
  return parts;
}

/** `#a = if_not_exists(#a, :a)`: the first write wins, later ones keep it. */
export function setIfAbsent(attrs: Record<string, unknown>): UpdateParts {
  const parts = set(attrs);
  parts.set = Object.keys(parts.names).map((n) => `${n} = if_not_exists(${n}, :${n.slice(1)})`);
  return parts;
}

/** `#a = #a + :aDelta`; a negative delta subtracts. */
export function increment(name: string, delta: number): UpdateParts {
  return { ...empty(), set: [`#${name} = #${name} + :${name}Delta`], names: { [`#${name}`]: name }, values: { [`:${name}Delta`]: delta } };
}

/** `REMOVE #a` for each attribute (removing one that is absent is no error in DynamoDB). */
export function remove(...names: string[]): UpdateParts {
  return { ...empty(), remove: names.map((n) => `#${n}`), names: Object.fromEntries(names.map((n) => [`#${n}`, n])) };
}

/** `ADD #a :a`: adds to a number or to a set. */
export function add(attrs: Record<string, unknown>): UpdateParts {
  const parts = set(attrs);
  parts.add = parts.set.map((clause) => clause.replace(' = ', ' '));
  parts.set = [];
  return parts;
}

/** A condition part; its `#names` are generated, its `:values` given. */
export function condition(expression: string, values: Record<string, unknown> = {}): UpdateParts {
  return { ...empty(), condition: [expression], names: namesIn(expression), values };
}

/** All parts in one; throws when a placeholder is bound to two different values or an attribute is updated twice. */
export function combine(...all: UpdateParts[]): UpdateParts {
  const out = empty();
  for (const parts of all) {
    out.set.push(...parts.set);
    out.remove.push(...parts.remove);
    out.add.push(...parts.add);
    out.condition.push(...parts.condition);
    Object.assign(out.names, parts.names);
    for (const [placeholder, value] of Object.entries(parts.values)) {
      if (placeholder in out.values && !sameValue(out.values[placeholder], value)) {
        throw new Error(`update placeholder ${placeholder} is bound to two different values`);
      }
      out.values[placeholder] = value;
    }
  }
  const targets = [...out.set, ...out.add].map((clause) => clause.split(/[ =]/)[0]!).concat(out.remove);
  const twice = targets.find((t, i) => targets.indexOf(t) !== i);
  if (twice) throw new Error(`update names ${twice} twice`);
  return out;
}

/** The UpdateCommand fields: SET, REMOVE and ADD joined; condition parts joined with AND. */
export function toUpdateInput(parts: UpdateParts): UpdateInput {
  const clauses = [
    parts.set.length ? `SET ${parts.set.join(', ')}` : '',
    parts.remove.length ? `REMOVE ${parts.remove.join(', ')}` : '',
    parts.add.length ? `ADD ${parts.add.join(', ')}` : '',
  ].filter(Boolean);
  if (clauses.length === 0) throw new Error('an update needs at least one clause');
  return {
    UpdateExpression: clauses.join(' '),
    ...(parts.condition.length ? { ConditionExpression: parts.condition.map((c) => `(${c})`).join(' AND ') } : {}),
    ExpressionAttributeNames: parts.names,
    ...(Object.keys(parts.values).length ? { ExpressionAttributeValues: parts.values } : {}),
  };
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Set && b instanceof Set) return sameValue([...a].sort(), [...b].sort());
  return a === b || (typeof a === 'object' && typeof b === 'object' && JSON.stringify(a) === JSON.stringify(b));
}
