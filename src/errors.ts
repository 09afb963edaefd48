/**
 * One error base class with stable codes. Every code is documented in docs/errors.md;
 * codes never change meaning once released, so users can grep logs and scripts can match them.
 */
export class SwitchyardError extends Error {
  /** Stable machine-readable code, `SY_ERR_…`. */
  readonly code: string;
  /** Where the fault is: a key path (`http.routers.api.rule`) and, for files, `file:line:column`. */
  readonly location: string | undefined;

  constructor(code: string, message: string, options?: { location?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SwitchyardError';
    this.code = code;
    this.location = options?.location;
  }
}

/** A configuration value that fails validation (bad type, unknown reference, bad option). */
export class ConfigError extends SwitchyardError {
  constructor(message: string, location?: string, cause?: unknown) {
    super('SY_ERR_CONFIG', message, { location, cause });
    this.name = 'ConfigError';
  }
}

/** A configuration file that cannot be parsed at all (YAML/TOML syntax). */
export class ConfigParseError extends SwitchyardError {
  constructor(message: string, location?: string, cause?: unknown) {
    super('SY_ERR_CONFIG_PARSE', message, { location, cause });
    this.name = 'ConfigParseError';
  }
}

/** A router rule that does not parse; `position` is the 0-based offset of the fault in the rule. */
export class RuleSyntaxError extends SwitchyardError {
  readonly position: number;
  readonly rule: string;
  constructor(message: string, rule: string, position: number) {
    super('SY_ERR_RULE_SYNTAX', `${message} at position ${position} in rule ${JSON.stringify(rule)}`);
    this.name = 'RuleSyntaxError';
    this.position = position;
    this.rule = rule;
  }
}

/** A middleware whose options are invalid, or whose type is unknown. */
export class MiddlewareError extends SwitchyardError {
  constructor(message: string, location?: string, cause?: unknown) {
    super('SY_ERR_MIDDLEWARE', message, { location, cause });
    this.name = 'MiddlewareError';
  }
}

/** A provider could not produce configuration (file unreadable, Docker daemon unreachable…). */
export class ProviderError extends SwitchyardError {
  constructor(message: string, location?: string, cause?: unknown) {
    super('SY_ERR_PROVIDER', message, { location, cause });
    this.name = 'ProviderError';
  }
}

/** An entry point could not listen (port in use, permission denied, bad address). */
export class ListenError extends SwitchyardError {
  constructor(message: string, location?: string, cause?: unknown) {
    super('SY_ERR_LISTEN', message, { location, cause });
    this.name = 'ListenError';
  }
}
