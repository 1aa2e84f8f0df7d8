/**
 * A settings file that holds a password must be private to its owner, as ssh insists for keys:
 * one readable by group or others is refused at start-up, with the fix in the message. Pure: the
 * caller stats the file.
 *
 * @example secretFileProblem('/home/a/.config/streamtui/config.json', 0o100644, true)
 *   // 'settings file ... holds a password and is readable by others (mode 644): chmod 600 ...'
 */
export function secretFileProblem(file: string, mode: number, holdsPassword: boolean): string | undefined {
  if (!holdsPassword || (mode & 0o077) === 0) return undefined;
  const octal = (mode & 0o777).toString(8);
  return `settings file ${file} holds a password and is readable by others (mode ${octal}): chmod 600 ${file}`;
}

/** Mode for a settings file the program writes: owner only, since it may hold a password. */
export const SECRET_FILE_MODE = 0o600;
