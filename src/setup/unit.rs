//! The sandboxed systemd unit of the store server: `backroom daemon` under the service account.

use super::Layout;

/// The unit file's text for this layout.
pub fn text(layout: &Layout) -> String {
    format!(
        "# Written by `backroom setup --system`; your changes go in a drop-in\n\
# (systemctl edit backroom), which setup never touches.\n\
[Unit]\n\
Description=backroom store server (worker, web service, control socket)\n\
Documentation=man:backroom(1)\n\
After=network-online.target\n\
Wants=network-online.target\n\
\n\
[Service]\n\
Type=simple\n\
User={user}\n\
Group={user}\n\
ExecStart={exec} daemon\n\
ExecReload=/bin/kill -HUP $MAINPID\n\
Environment=BACKROOM_CONFIG={config}\n\
Environment=BACKROOM_DB={db}\n\
Environment=HOME={data}\n\
Environment=XDG_STATE_HOME={state_parent}\n\
RuntimeDirectory=backroom\n\
RuntimeDirectoryMode=0755\n\
UMask=0077\n\
Restart=on-failure\n\
ProtectSystem=strict\n\
ProtectHome=yes\n\
PrivateTmp=yes\n\
PrivateDevices=yes\n\
NoNewPrivileges=yes\n\
ProtectKernelTunables=yes\n\
ProtectKernelModules=yes\n\
ProtectControlGroups=yes\n\
RestrictSUIDSGID=yes\n\
LockPersonality=yes\n\
ReadWritePaths={data} {log}\n\
\n\
[Install]\n\
WantedBy=multi-user.target\n",
        user = layout.user,
        exec = layout.exec.display(),
        config = layout.system_path(&layout.config_file()).display(),
        db = layout.system_path(&layout.db_file()).display(),
        data = layout.system_path(&layout.data_dir).display(),
        log = layout.system_path(&layout.log_dir).display(),
        state_parent = layout
            .system_path(&layout.log_dir)
            .parent()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
    )
}
