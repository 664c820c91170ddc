import type { Command, Option } from 'commander';
import { BorgopsError } from '../../../src/errors.js';
import type { Io } from '../io.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
type Shell = (typeof SHELLS)[number];

interface Node {
  path: string[];
  description: string;
  options: Option[];
  children: Node[];
}

function tree(command: Command, path: string[] = []): Node {
  const visible = command.commands.filter((child) => child.name() !== 'help');
  return {
    path,
    description: command.description(),
    options: command.options.filter((option) => !option.hidden),
    children: visible.map((child) => tree(child, [...path, child.name()])),
  };
}

function flatten(node: Node): Node[] {
  return [node, ...node.children.flatMap(flatten)];
}

function flags(options: readonly Option[]): string[] {
  return options.flatMap((option) => [option.long, option.short].filter((f): f is string => f !== undefined));
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').replace(/'/g, '').slice(0, 80);
}

/** bash: `complete -F`, completing subcommands by position and options (global ones everywhere). */
function bash(root: Node): string {
  const global = flags(root.options.filter((option) => option.long !== '--version')).join(' ');
  const cases = flatten(root).map((node) => {
    const own = node.path.length === 0 ? ['--version'] : flags(node.options);
    const words = [...node.children.map((child) => child.path.at(-1)!), ...own, global];
    return `    '${node.path.join(' ')}') words='${words.join(' ').trim()} --help' ;;`;
  });
  return `# borgops completion for bash: source <(borgops completion bash)
_borgops() {
  local cur path word words i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  path=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    [[ "$word" == -* ]] && continue
    case "\${path:+$path }$word" in
${flatten(root)
  .filter((node) => node.path.length > 0)
  .map((node) => `      '${node.path.join(' ')}') path='${node.path.join(' ')}' ;;`)
  .join('\n')}
    esac
  done
  case "$path" in
${cases.join('\n')}
    *) words='${global}' ;;
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _borgops borgops
`;
}

/** zsh: the bash function through bashcompinit, which zsh ships for this. */
function zsh(root: Node): string {
  return `#compdef borgops
# borgops completion for zsh: source <(borgops completion zsh)
autoload -U +X bashcompinit && bashcompinit
${bash(root).split('\n').slice(1).join('\n')}`;
}

/** fish: one `complete` line per subcommand and option, with descriptions. */
function fish(root: Node): string {
  const lines = ['# borgops completion for fish: borgops completion fish | source', 'complete -c borgops -f'];
  for (const node of flatten(root)) {
    const condition =
      node.path.length === 0 ? '__fish_use_subcommand' : `__fish_seen_subcommand_from ${node.path.at(-1)}`;
    for (const child of node.children) {
      lines.push(
        `complete -c borgops -n '${condition}' -a '${child.path.at(-1)}' -d '${firstLine(child.description)}'`,
      );
    }
    for (const option of node.options) {
      const long = option.long?.replace(/^--/, '');
      const short = option.short?.replace(/^-/, '');
      const parts = [
        `complete -c borgops`,
        ...(node.path.length === 0 ? [] : [`-n '${condition}'`]),
        ...(long === undefined ? [] : [`-l ${long}`]),
        ...(short === undefined ? [] : [`-s ${short}`]),
        ...(option.required || option.optional ? ['-r'] : []),
        `-d '${firstLine(option.description)}'`,
      ];
      lines.push(parts.join(' '));
    }
  }
  return `${lines.join('\n')}\n`;
}

export function completionScript(program: Command, shell: Shell): string {
  const root = tree(program);
  if (shell === 'bash') return bash(root);
  if (shell === 'zsh') return zsh(root);
  return fish(root);
}

export function registerCompletion(program: Command, io: Io): void {
  program
    .command('completion')
    .description('print a shell completion script: bash, zsh or fish')
    .argument('<shell>', SHELLS.join(', '))
    .addHelpText(
      'after',
      "\nInstall:\n  bash  echo 'source <(borgops completion bash)' >> ~/.bashrc\n  zsh   echo 'source <(borgops completion zsh)' >> ~/.zshrc\n  fish  borgops completion fish > ~/.config/fish/completions/borgops.fish\n",
    )
    .action((shell: string) => {
      const chosen = SHELLS.find((name) => name === shell);
      if (chosen === undefined) {
        throw new BorgopsError('E_USAGE', `unknown shell "${shell}"; accepted: ${SHELLS.join(', ')}`);
      }
      io.out(completionScript(program, chosen));
    });
}
