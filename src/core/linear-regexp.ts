import type { Options } from 'ajv'
import { RE2JS } from 're2js'

/**
 * Ajv's `code.regExp` for schemas that tenants write: RE2's automaton (the `re2js` port) runs in
 * time linear in the input, so no `pattern` can stall the process by backtracking (`^(a+)+$`
 * against "aaa…!" doubles its time with every "a" on JavaScript's engine). JavaScript syntax is
 * translated (`(?<name>…)`, `\u00e9`, `/`); what RE2 cannot run in linear time — backreferences,
 * lookaround — throws when the schema is compiled, so such a schema is refused when it is
 * defined rather than slow when data arrives.
 */
export const linearRegExp: NonNullable<NonNullable<Options['code']>['regExp']> = Object.assign(
  (pattern: string) => {
    try {
      return RE2JS.compile(RE2JS.translateRegExp(pattern))
    } catch (cause) {
      const reason = (cause as Error).message.replace(/^error parsing regexp: /, '')
      throw new Error(
        `pattern ${JSON.stringify(pattern)} is not supported: ${reason} (patterns run on a ` +
          'linear-time engine, without backreferences or lookaround)',
        { cause },
      )
    }
  },
  // Only read when Ajv generates standalone code, which Hookrelay never does.
  { code: 'linearRegExp' },
)
