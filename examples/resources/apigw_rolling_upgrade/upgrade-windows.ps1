# Upgrade one quiesced API Gateway node installed as a Windows service: stop
# it, apply the fix with the Update Manager script prepared beforehand, start
# it. The provider then waits until the node is ready on the target.
#
# Runs on the Windows machine that runs Terraform, once per node, and reaches
# the node over PowerShell remoting (WinRM) as the user running Terraform:
#
#   upgrade_command = ["powershell.exe", "-NoProfile", "-NonInteractive",
#     "-ExecutionPolicy", "Bypass", "-File", "${path.module}/upgrade-windows.ps1"]
#
# APIGW_NODE_URL, APIGW_TARGET_VERSION, ... come from the provider; set
# GATEWAY_SERVICE and SAG_HOME in command_env when yours differ. A timeout or
# Ctrl-C ends this script and everything it started (the provider runs it in
# a Job Object); the remote session then ends too.
$ErrorActionPreference = 'Stop'

$nodeHost = ([Uri]$env:APIGW_NODE_URL).Host
$service = if ($env:GATEWAY_SERVICE) { $env:GATEWAY_SERVICE } else { 'apigateway' }
$sagHome = if ($env:SAG_HOME) { $env:SAG_HOME } else { 'C:\SoftwareAG' }

Write-Output "upgrading $env:APIGW_NODE_NAME ($nodeHost) from $env:APIGW_FROM_VERSION to $env:APIGW_TARGET_VERSION"
Invoke-Command -ComputerName $nodeHost -ArgumentList $service, $sagHome, $env:APIGW_TARGET_VERSION -ScriptBlock {
  param($service, $sagHome, $target)
  $ErrorActionPreference = 'Stop'
  Stop-Service -Name $service
  & "$sagHome\SAGUpdateManager\bin\UpdateManagerCMD.bat" -readScript "$sagHome\fixes\apigw-$target.script"
  if ($LASTEXITCODE -ne 0) {
    throw "Update Manager exited with status $LASTEXITCODE; the service $service stays stopped"
  }
  Start-Service -Name $service
}
