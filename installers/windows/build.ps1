<#
.SYNOPSIS
  Build devtray-VERSION-windows-x86_64-setup.exe (Inno Setup 6) from a fresh venv.

.DESCRIPTION
  Needs: Python 3.11+ (x64) as `py -3`, Inno Setup 6 (ISCC.exe), and for signing the Windows
  SDK's signtool.exe on PATH.

  Code signing (credentials come from the environment, never from the repository):
    DEVTRAY_WIN_CERT_SHA1      thumbprint of an Authenticode code-signing certificate in the
                               build user's certificate store (or on a hardware token / cloud
                               HSM whose CSP is installed). Signs devtray.exe, devtrayw.exe,
                               the setup and its uninstaller.
    DEVTRAY_WIN_TIMESTAMP_URL  RFC 3161 timestamp server of the certificate's vendor.
  Without them the installer is unsigned and SmartScreen warns on first run.

.EXAMPLE
  powershell -ExecutionPolicy Bypass -File installers\windows\build.ps1
#>
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..\..")

$venv = "build\windows\venv"
py -3 -m venv $venv
& "$venv\Scripts\python.exe" -m pip install -q --upgrade pip
& "$venv\Scripts\python.exe" -m pip install -q ".[gui]" "pyinstaller>=6.10"
if ($LASTEXITCODE -ne 0) { throw "pip install failed" }
$version = (& "$venv\Scripts\python.exe" -c "import desktop; print(desktop.__version__)").Trim()

& "$venv\Scripts\python.exe" packaging\freeze.py --dist dist --work build\windows
if ($LASTEXITCODE -ne 0) { throw "freezing failed" }
& "dist\devtray\devtray.exe" --version
if ($LASTEXITCODE -ne 0) { throw "the frozen devtray.exe does not run" }

$iscc = Join-Path ${env:ProgramFiles(x86)} "Inno Setup 6\ISCC.exe"
if (-not (Test-Path $iscc)) { throw "Inno Setup 6 not found at $iscc" }
$defines = @(
  "/DAppVersion=$version",
  "/DSourceDir=..\..\dist\devtray",
  "/DIconsDir=..\..\build\windows\icons",
  "/DOutputDir=..\..\dist"
)

$thumb = $env:DEVTRAY_WIN_CERT_SHA1
if ($thumb) {
  $timestamp = $env:DEVTRAY_WIN_TIMESTAMP_URL
  if (-not $timestamp) { throw "set DEVTRAY_WIN_TIMESTAMP_URL with DEVTRAY_WIN_CERT_SHA1" }
  $sign = @("sign", "/sha1", $thumb, "/fd", "sha256", "/tr", $timestamp, "/td", "sha256")
  & signtool.exe @sign "dist\devtray\devtray.exe" "dist\devtray\devtrayw.exe"
  if ($LASTEXITCODE -ne 0) { throw "signing the executables failed" }
  $defines += "/DSignTool"
  $defines += "/Ssigntool=signtool.exe sign /sha1 $thumb /fd sha256 /tr $timestamp /td sha256 `$f"
}

& $iscc @defines "installers\windows\devtray.iss"
if ($LASTEXITCODE -ne 0) { throw "ISCC failed" }
$setup = "dist\devtray-$version-windows-x86_64-setup.exe"
if ($thumb) { & signtool.exe verify /pa $setup; if ($LASTEXITCODE -ne 0) { throw "bad signature" } }
"{0}: {1:N1} MB" -f $setup, ((Get-Item $setup).Length / 1MB)
