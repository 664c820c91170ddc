/** clan_cli's `clan state list jon` for the guide's example, byte for byte (a blank line after every service). */
export const guideStateListing = `· service: linkding
  folders:
  - /var/backup/linkding
  preBackupCommand: pre-backup-linkding
  postRestoreCommand: post-restore-linkding

· service: zerotier
  folders:
  - /var/lib/zerotier-one

`;
