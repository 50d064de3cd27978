@echo off
rem Verificacao de suporte do pec-rnds no Windows, com a mesma configuracao do servico.
rem Uso (Prompt de Comando como administrador):  C:\pec-rnds\pec-rnds-status.cmd [--json]
rem Codigos de saida: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (convencao Nagios/Zabbix).
"C:\Program Files\nodejs\node.exe" --env-file="C:\ProgramData\pec-rnds\pec-rnds.env" "C:\pec-rnds\dist\scripts\status.js" %*
exit /b %ERRORLEVEL%
