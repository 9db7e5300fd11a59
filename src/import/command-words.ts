// Which words start a command, which commands only read, which never end on their own. A guess from
// the first word is all a document gives; the lists are deliberately ordinary tools, not a shell parser.

const COMMANDS = new Set(
  (
    "sh bash zsh nohup cd git mvn gradle tail grep egrep fgrep cat ls ll head less more wc ps jps kill pkill " +
    "curl wget echo printf export unset source . sudo su java javac docker podman kubectl helm systemctl " +
    "service journalctl make cmake npm npx yarn pnpm bun node deno pip pip3 python python3 go cargo rustc " +
    "mkdir rmdir cp mv rm chmod chown chgrp tar unzip zip gzip gunzip ln touch sed awk cut sort uniq tr " +
    "find xargs env set apt apt-get yum dnf brew apk rpm dpkg ssh scp rsync ping telnet nc netstat ss lsof " +
    "df du free top htop which whoami id hostname uname date sleep useradd usermod groupadd passwd crontab " +
    "firewall-cmd iptables ufw vi vim nano openssl keytool mqadmin mqnamesrv mqbroker mqshutdown " +
    "terraform ansible ansible-playbook psql mysql redis-cli mongo pg_dump test true false exit watch " +
    "jar jstack jmap jstat tee diff patch install ip ifconfig mount umount"
  ).split(" "),
);

/** Commands that change nothing (given no redirection into a file). */
const READ_ONLY = new Set(
  (
    "tail grep egrep fgrep cat ls ll head wc ps jps df du free which whoami id hostname uname date pwd " +
    "echo printf test true netstat ss lsof ping jstack jstat diff sort uniq cut"
  ).split(" "),
);

/** mqadmin subcommands that only list or show. */
const MQADMIN_READ =
  /^(clusterList|topicList|topicStatus|topicRoute|brokerStatus|clusterRT|consumerProgress|consumerStatus|queryMsgById|queryMsgByKey|printMsg|haStatus|getBrokerConfig|statsAll|producerConnection|consumerConnection|getNamesrvConfig)$/;

/** Programs that wait for a person or never end: they cannot be a step's command. */
const INTERACTIVE = new Set("vi vim nano less more top htop watch telnet passwd".split(" "));

/** The program a command line runs: `sh bin/mqadmin x` and `sudo tail` name mqadmin and tail. */
export function programOf(line: string): { name: string; rest: string[] } {
  const words = line.trim().split(/\s+/);
  let i = 0;
  while (i < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i] as string)) i++;
  if (words[i] === "sudo" || words[i] === "nohup" || words[i] === "exec") i++;
  if ((words[i] === "sh" || words[i] === "bash") && words[i + 1] && !words[i + 1]?.startsWith("-")) i++;
  const name = (words[i] ?? "").replace(/^.*\//, "").replace(/\.sh$/, "");
  return { name, rest: words.slice(i + 1) };
}

/** Whether a line of a code block reads as a command (rather than output, or prose). */
export function looksLikeCommand(line: string): boolean {
  const first = line.trim().split(/\s+/)[0] ?? "";
  if (first === "") return false;
  if (COMMANDS.has(first)) return true;
  if (/^(\.{1,2}|~)?\/[\w.-]/.test(first) || /^[\w.-]+\/[\w./-]+$/.test(first))
    return /^[\w.~/-]+$/.test(first);
  if (/^[A-Za-z_][A-Za-z0-9_]*=\S*$/.test(first)) return true;
  // An unknown lower-case word followed by an option: `rocketmq-dashboard --port 8080`.
  const second = line.trim().split(/\s+/)[1] ?? "";
  return /^[a-z][a-z0-9_.-]*$/.test(first) && /^--?[A-Za-z]/.test(second);
}

/** Whether every command of a pipeline only reads, and nothing is written to a file. */
export function onlyReads(command: string): boolean {
  if (/(^|[^>&2])>{1,2}(?!&)/.test(command.replace(/[0-9]?>\s*\/dev\/null|2>&1/g, ""))) return false;
  if (/[;&]|\|\|/.test(command.replace(/&&/g, "|"))) return false;
  return command.split(/\s*(?:\||&&)\s*/).every((part) => {
    const { name, rest } = programOf(part);
    if (name === "mqadmin") return MQADMIN_READ.test(rest[0] ?? "");
    if (name === "tail") return !rest.some((w) => /^-[a-zA-Z]*[fF]/.test(w));
    return READ_ONLY.has(name);
  });
}

export function isInteractive(command: string): boolean {
  const { name, rest } = programOf(command);
  if (name === "ssh") return rest.filter((w) => !w.startsWith("-")).length <= 1;
  return INTERACTIVE.has(name);
}
