/**
 * `kavach completion bash|zsh`: a completion script generated from the command tree, so it
 * always knows every command and option. Load it with
 *   source <(kavach completion bash)          # bash (e.g. in ~/.bashrc)
 *   source <(kavach completion zsh)           # zsh, after compinit (e.g. in ~/.zshrc)
 */
import type { Command } from 'commander';
import { FORMATS } from './output.js';

/** Values for options that take one of a few words. */
const VALUES: Record<string, readonly string[]> = {
  '--output': FORMATS,
  '-o': FORMATS,
  '--transport': ['connect', 'grpc', 'grpc-web'],
  '--format': ['jsonl', 'csv'],
  '--result': ['allowed', 'denied', 'rate_limited', 'pending_approval'],
  '--type': ['autonomous', 'delegated', 'service'],
  '--direction': ['given', 'received', 'both'],
};

interface Node {
  readonly path: string;
  readonly subcommands: string[];
  readonly options: string[];
}

function walk(command: Command, path: string, inherited: string[], out: Node[]): void {
  const own = command.options.flatMap((o) => [o.long, o.short].filter((f): f is string => f !== undefined));
  const options = [...inherited, ...own, '--help'];
  const subcommands = command.commands.map((c) => c.name()).filter((n) => n !== 'help');
  out.push({ path, subcommands, options: [...new Set(options)] });
  // Global options (the root's) apply everywhere; a group's own options stay with it.
  for (const sub of command.commands) walk(sub, path === '' ? sub.name() : `${path} ${sub.name()}`, path === '' ? options : inherited, out);
}

function cases(nodes: Node[], pick: (n: Node) => string[]): string {
  return nodes.map((n) => `    "${n.path}") echo "${pick(n).join(' ')}" ;;`).join('\n');
}

function valueCases(): string {
  return Object.entries(VALUES)
    .map(([flag, values]) => `    ${flag}) echo "${values.join(' ')}" ;;`)
    .join('\n');
}

function helpers(nodes: Node[]): string {
  return `_kavach_subcommands() {
  case "$1" in
${cases(nodes, (n) => n.subcommands)}
  esac
}
_kavach_options() {
  case "$1" in
${cases(nodes, (n) => n.options)}
  esac
}
_kavach_values() {
  case "$1" in
${valueCases()}
    completion) echo "bash zsh" ;;
  esac
}`;
}

export function completionScript(program: Command, shell: 'bash' | 'zsh'): string {
  const nodes: Node[] = [];
  walk(program, '', [], nodes);
  if (shell === 'bash') {
    return `# bash completion for kavach. Load with: source <(kavach completion bash)
${helpers(nodes)}
_kavach() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" cmdpath="" w i
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ "$w" == -* ]] && continue
    case " $(_kavach_subcommands "$cmdpath") " in *" $w "*) cmdpath="\${cmdpath:+$cmdpath }$w" ;; esac
  done
  local values
  values="$(_kavach_values "$prev")"
  [[ "$prev" == completion && "$cmdpath" != completion ]] && values=""
  if [[ -n "$values" ]]; then
    COMPREPLY=($(compgen -W "$values" -- "$cur"))
  elif [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$(_kavach_options "$cmdpath")" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$(_kavach_subcommands "$cmdpath")" -- "$cur"))
  fi
}
complete -F _kavach kavach
`;
  }
  return `#compdef kavach
# zsh completion for kavach. Load with: source <(kavach completion zsh)   (after compinit)
${helpers(nodes)}
_kavach() {
  local cmdpath="" w i values
  local -a subs cands
  for ((i = 2; i < CURRENT; i++)); do
    w="\${words[i]}"
    [[ "$w" == -* ]] && continue
    subs=(\${=$(_kavach_subcommands "$cmdpath")})
    (( \${subs[(Ie)$w]} )) && cmdpath="\${cmdpath:+$cmdpath }$w"
  done
  values="$(_kavach_values "\${words[CURRENT-1]}")"
  [[ "\${words[CURRENT-1]}" == completion && "$cmdpath" != completion ]] && values=""
  if [[ -n "$values" ]]; then
    cands=(\${=values})
  elif [[ "\${words[CURRENT]}" == -* ]]; then
    cands=(\${=$(_kavach_options "$cmdpath")})
  else
    cands=(\${=$(_kavach_subcommands "$cmdpath")})
  fi
  compadd -- $cands
}
if (( $+functions[compdef] )); then
  compdef _kavach kavach
fi
`;
}
