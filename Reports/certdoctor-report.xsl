<?xml version="1.0" encoding="UTF-8"?>
<!--
  Renders a certdoctor report (certdoctor-report.xsd) as one self-contained HTML page:
  no script, no fonts, images or styles from anywhere else; evidence collapsed in <details>.
  Parameter lang = zh | en (default: the report's own language).
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:r="urn:certdoctor:report:1"
    exclude-result-prefixes="r">

  <xsl:output method="html" encoding="UTF-8" indent="no" doctype-system="about:legacy-compat"/>
  <!-- Results by id: a lookup per blocking check is then constant, not a scan of every result (which made
       a report of 10,000 checks quadratic). -->
  <xsl:key name="check-by-id" match="r:results/r:check" use="@id"/>

  <xsl:param name="lang" select="/r:report/@language"/>
  <xsl:variable name="en" select="$lang = 'en'"/>

  <!-- A bilingual text element: its <zh> or <en> child. -->
  <xsl:template match="*" mode="l">
    <xsl:choose>
      <xsl:when test="$en"><xsl:value-of select="r:en"/></xsl:when>
      <xsl:otherwise><xsl:value-of select="r:zh"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="outcome-label">
    <xsl:param name="outcome"/>
    <xsl:choose>
      <xsl:when test="$outcome = 'pass'"><xsl:if test="$en">Pass</xsl:if><xsl:if test="not($en)">通过</xsl:if></xsl:when>
      <xsl:when test="$outcome = 'fail'"><xsl:if test="$en">Fail</xsl:if><xsl:if test="not($en)">未通过</xsl:if></xsl:when>
      <xsl:when test="$outcome = 'error'"><xsl:if test="$en">Error</xsl:if><xsl:if test="not($en)">无法检查</xsl:if></xsl:when>
      <xsl:when test="$outcome = 'notapplicable'"><xsl:if test="$en">Not applicable</xsl:if><xsl:if test="not($en)">不适用</xsl:if></xsl:when>
      <xsl:when test="$outcome = 'notchecked'"><xsl:if test="$en">Not checked</xsl:if><xsl:if test="not($en)">未检查</xsl:if></xsl:when>
      <xsl:when test="$outcome = 'informational'"><xsl:if test="$en">Information</xsl:if><xsl:if test="not($en)">信息</xsl:if></xsl:when>
      <xsl:when test="$outcome = 'fixed'"><xsl:if test="$en">Fixed</xsl:if><xsl:if test="not($en)">已修复</xsl:if></xsl:when>
      <xsl:otherwise><xsl:value-of select="$outcome"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="/r:report">
    <html lang="{$lang}">
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title>
          <xsl:if test="$en">certdoctor report</xsl:if><xsl:if test="not($en)">certdoctor 检查报告</xsl:if>
          <xsl:text> — </xsl:text><xsl:value-of select="r:host/r:hostName"/>
        </title>
        <style>
          body { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif;
                 margin: 0 auto; max-width: 60rem; padding: 1rem 1.5rem; color: #1b1b1b; line-height: 1.5; }
          .verdict { border-radius: .5rem; padding: 1rem 1.5rem; margin: 1rem 0 2rem; }
          .verdict h1 { font-size: 2.2rem; margin: 0 0 .5rem; }
          .verdict.ready { background: #e3f4e6; border: 3px solid #1e7b34; }
          .verdict.blocked { background: #fdecea; border: 3px solid #b3261e; }
          .verdict ol { font-size: 1.15rem; }
          h2 { border-bottom: 1px solid #ccc; margin-top: 2rem; }
          .check { border: 1px solid #ddd; border-left: 6px solid #999; border-radius: .3rem;
                   padding: .5rem 1rem; margin: .75rem 0; page-break-inside: avoid; break-inside: avoid; }
          .check h3 { margin: .2rem 0; font-size: 1.1rem; }
          .check .id { font-family: monospace; color: #555; font-size: .9rem; }
          .outcome { display: inline-block; min-width: 5.5em; text-align: center; border-radius: .2rem;
                     padding: 0 .4rem; margin-right: .5rem; font-weight: bold; color: #fff; background: #777; }
          .o-pass, .o-fixed { border-left-color: #1e7b34; } .o-pass .outcome, .o-fixed .outcome { background: #1e7b34; }
          .o-fail { border-left-color: #b3261e; } .o-fail .outcome { background: #b3261e; }
          .o-error { border-left-color: #8a4b00; } .o-error .outcome { background: #8a4b00; }
          .remedy { background: #fff8e1; padding: .3rem .6rem; border-radius: .2rem; }
          table { border-collapse: collapse; width: 100%; font-size: .9rem; }
          th, td { text-align: left; vertical-align: top; padding: .15rem .5rem; border-bottom: 1px solid #eee; }
          td.value { font-family: monospace; word-break: break-all; white-space: pre-wrap; }
          .counts span { margin-right: 1rem; }
          .meta { color: #555; font-size: .9rem; }
          @media print {
            body { max-width: none; padding: 0; font-size: 10.5pt; }
            .verdict { border-width: 2px; background: none; }
            .outcome { color: #000; background: none !important; border: 1px solid #000; }
            a { color: inherit; text-decoration: none; }
          }
        </style>
      </head>
      <body>
        <xsl:apply-templates select="r:summary"/>
        <p class="meta">
          <xsl:value-of select="r:tool/@name"/><xsl:text> </xsl:text><xsl:value-of select="r:tool/@version"/>
          <xsl:text> · </xsl:text><xsl:if test="$en">profile</xsl:if><xsl:if test="not($en)">配置</xsl:if>
          <xsl:text> </xsl:text><xsl:value-of select="r:profile"/>
          <xsl:text> · </xsl:text><xsl:value-of select="r:run/@started"/>
          <xsl:text> · </xsl:text><xsl:value-of select="r:run/@durationSeconds"/><xsl:text> s</xsl:text>
        </p>

        <h2><xsl:if test="$en">Checks</xsl:if><xsl:if test="not($en)">检查项</xsl:if></h2>
        <xsl:apply-templates select="r:results/r:check"/>

        <xsl:if test="r:fixes/r:fix">
          <h2><xsl:if test="$en">Fixes</xsl:if><xsl:if test="not($en)">修复</xsl:if></h2>
          <xsl:apply-templates select="r:fixes/r:fix"/>
        </xsl:if>

        <xsl:if test="r:renewal/r:step">
          <h2><xsl:if test="$en">Renewal</xsl:if><xsl:if test="not($en)">证书更新</xsl:if></h2>
          <table>
            <xsl:for-each select="r:renewal/r:step">
              <tr><td><xsl:value-of select="@time"/></td><td><xsl:value-of select="@name"/></td>
                  <td><xsl:value-of select="@outcome"/></td><td><xsl:apply-templates select="r:detail" mode="l"/></td></tr>
            </xsl:for-each>
          </table>
        </xsl:if>

        <h2><xsl:if test="$en">Environment</xsl:if><xsl:if test="not($en)">运行环境</xsl:if></h2>
        <table class="host">
          <tr><th><xsl:if test="$en">Host</xsl:if><xsl:if test="not($en)">主机</xsl:if></th><td><xsl:value-of select="r:host/r:hostName"/></td></tr>
          <tr><th><xsl:if test="$en">Operating system</xsl:if><xsl:if test="not($en)">操作系统</xsl:if></th><td><xsl:value-of select="r:host/r:operatingSystem"/></td></tr>
          <tr><th><xsl:if test="$en">Kernel</xsl:if><xsl:if test="not($en)">内核</xsl:if></th><td><xsl:value-of select="r:host/r:kernel"/></td></tr>
          <xsl:for-each select="r:host/r:component">
            <tr><th><xsl:value-of select="@name"/></th><td><xsl:value-of select="@version"/></td></tr>
          </xsl:for-each>
          <xsl:for-each select="r:targets/r:target">
            <tr><th><xsl:if test="$en">Target </xsl:if><xsl:if test="not($en)">检查对象 </xsl:if><xsl:value-of select="@kind"/></th>
                <td class="value"><xsl:value-of select="."/></td></tr>
          </xsl:for-each>
        </table>

        <xsl:call-template name="requirements"/>

        <h2><xsl:if test="$en">Support</xsl:if><xsl:if test="not($en)">技术支持</xsl:if></h2>
        <p>
          <xsl:if test="$en">SSCC support line: </xsl:if><xsl:if test="not($en)">深证通客服电话：</xsl:if>
          <strong><xsl:value-of select="r:support/@phone"/></strong>
          <xsl:if test="$en">. Attach report.xml (or the support bundle) to your ticket.</xsl:if>
          <xsl:if test="not($en)">。提交工单时请附上 report.xml（或支持包）。</xsl:if>
          <xsl:if test="@redacted = 'true'">
            <xsl:if test="$en"> Personal data in this report is replaced by placeholders such as &lt;user-1&gt;.</xsl:if>
            <xsl:if test="not($en)"> 本报告中的个人信息已替换为 &lt;user-1&gt; 等占位符。</xsl:if>
          </xsl:if>
        </p>
      </body>
    </html>
  </xsl:template>

  <xsl:template match="r:summary">
    <section id="verdict">
      <xsl:attribute name="class">verdict <xsl:choose><xsl:when test="@readyToRenew = 'true'">ready</xsl:when><xsl:otherwise>blocked</xsl:otherwise></xsl:choose></xsl:attribute>
      <xsl:attribute name="data-ready"><xsl:value-of select="@readyToRenew"/></xsl:attribute>
      <h1>
        <xsl:choose>
          <xsl:when test="@readyToRenew = 'true'">
            <xsl:if test="$en">✔ The certificate can be renewed now</xsl:if><xsl:if test="not($en)">✔ 现在可以更新证书</xsl:if>
          </xsl:when>
          <xsl:otherwise>
            <xsl:if test="$en">✘ The certificate cannot be renewed yet</xsl:if><xsl:if test="not($en)">✘ 暂时不能更新证书</xsl:if>
          </xsl:otherwise>
        </xsl:choose>
      </h1>
      <xsl:if test="r:expiry/r:warning">
        <p class="expiry-warning"><strong>⚠ <xsl:apply-templates select="r:expiry/r:warning" mode="l"/></strong></p>
      </xsl:if>
      <p class="verdict-line"><strong><xsl:apply-templates select="r:verdict" mode="l"/></strong></p>
      <p class="scope"><xsl:apply-templates select="r:scope/r:line" mode="l"/></p>
      <p><xsl:apply-templates select="r:reason" mode="l"/></p>
      <xsl:if test="r:blocking">
        <p><strong><xsl:if test="$en">What to do first:</xsl:if><xsl:if test="not($en)">请先处理：</xsl:if></strong></p>
        <ol>
          <xsl:for-each select="r:blocking">
            <xsl:variable name="check" select="key('check-by-id', @check)"/>
            <li>
              <a href="#check-{@check}"><xsl:apply-templates select="$check/r:title" mode="l"/></a>
              <xsl:if test="$check/r:remedy">
                <xsl:text> — </xsl:text><xsl:apply-templates select="$check/r:remedy" mode="l"/>
              </xsl:if>
            </li>
          </xsl:for-each>
        </ol>
      </xsl:if>
      <p class="counts">
        <xsl:for-each select="r:count[. != '0']">
          <span>
            <xsl:call-template name="outcome-label"><xsl:with-param name="outcome" select="@outcome"/></xsl:call-template>
            <xsl:text> </xsl:text><xsl:value-of select="."/>
          </span>
        </xsl:for-each>
      </p>
    </section>
  </xsl:template>

  <xsl:template match="r:check">
    <section class="check o-{@outcome}" id="check-{@id}" data-check="{@id}" data-outcome="{@outcome}">
      <h3>
        <span class="outcome">
          <xsl:call-template name="outcome-label"><xsl:with-param name="outcome" select="@outcome"/></xsl:call-template>
        </span>
        <xsl:apply-templates select="r:title" mode="l"/>
      </h3>
      <div class="id">
        <xsl:value-of select="@id"/>
        <xsl:text> · </xsl:text><xsl:value-of select="@outcome"/>
        <xsl:text> · </xsl:text>
        <xsl:choose>
          <xsl:when test="@severity = 'required'"><xsl:if test="$en">required</xsl:if><xsl:if test="not($en)">必需</xsl:if></xsl:when>
          <xsl:otherwise><xsl:if test="$en">advisory</xsl:if><xsl:if test="not($en)">建议</xsl:if></xsl:otherwise>
        </xsl:choose>
        <xsl:for-each select="r:requirement">
          <xsl:text> · </xsl:text><a class="req" href="#req-{.}"><xsl:value-of select="."/></a>
        </xsl:for-each>
      </div>
      <p class="message"><xsl:apply-templates select="r:message" mode="l"/></p>
      <xsl:if test="r:remedy">
        <p class="remedy"><strong><xsl:if test="$en">Remedy: </xsl:if><xsl:if test="not($en)">处理方法：</xsl:if></strong>
          <xsl:apply-templates select="r:remedy" mode="l"/></p>
      </xsl:if>
      <xsl:if test="r:evidence/r:fact or r:certificate">
        <details>
          <summary>
            <xsl:if test="$en">Evidence</xsl:if><xsl:if test="not($en)">证据</xsl:if>
            <xsl:text> (</xsl:text><xsl:value-of select="count(r:evidence/r:fact) + count(r:certificate)"/><xsl:text>)</xsl:text>
          </summary>
          <table>
            <xsl:for-each select="r:evidence/r:fact">
              <tr><th><xsl:value-of select="@name"/></th><td class="value"><xsl:value-of select="."/></td></tr>
            </xsl:for-each>
            <xsl:for-each select="r:certificate">
              <tr><th><xsl:if test="$en">Certificate</xsl:if><xsl:if test="not($en)">证书</xsl:if></th>
                <td class="value">CN=<xsl:value-of select="@subjectCN"/>; issuer CN=<xsl:value-of select="@issuerCN"/>;
                  serial <xsl:value-of select="@serialNumber"/>; <xsl:value-of select="@notBefore"/> – <xsl:value-of select="@notAfter"/>;
                  <xsl:value-of select="@filePath"/></td></tr>
            </xsl:for-each>
          </table>
        </details>
      </xsl:if>
    </section>
  </xsl:template>

  <xsl:template match="r:fix">
    <section class="fix" data-check="{@check}">
      <h3><xsl:apply-templates select="r:summary" mode="l"/></h3>
      <div class="id">
        <a href="#check-{@check}"><xsl:value-of select="@check"/></a>
        <xsl:text> · </xsl:text>
        <xsl:choose>
          <xsl:when test="@applied = 'true'"><xsl:if test="$en">applied</xsl:if><xsl:if test="not($en)">已应用</xsl:if></xsl:when>
          <xsl:otherwise><xsl:if test="$en">planned</xsl:if><xsl:if test="not($en)">计划中</xsl:if></xsl:otherwise>
        </xsl:choose>
        <xsl:if test="@outcome"><xsl:text> · </xsl:text><xsl:value-of select="@outcome"/></xsl:if>
      </div>
      <ul>
        <xsl:for-each select="r:change">
          <li><xsl:apply-templates select="r:description" mode="l"/>
            <xsl:if test="r:before or r:after">
              <xsl:text>: </xsl:text><code><xsl:value-of select="r:before"/></code> → <code><xsl:value-of select="r:after"/></code>
            </xsl:if>
          </li>
        </xsl:for-each>
      </ul>
      <xsl:if test="r:journalEntry"><p class="meta"><xsl:if test="$en">Journal entry </xsl:if><xsl:if test="not($en)">修复日志记录 </xsl:if><code><xsl:value-of select="r:journalEntry"/></code></p></xsl:if>
      <xsl:if test="r:error"><p class="remedy"><xsl:value-of select="r:error"/></p></xsl:if>
    </section>
  </xsl:template>

  <!-- The manual's numbered requirements (REQUIREMENTS.md), the targets of the links above. -->
  <xsl:template name="requirements">
    <xsl:variable name="used" select="//r:requirement"/>
    <xsl:if test="$used">
      <h2><xsl:if test="$en">Requirements of the SSCC manual</xsl:if><xsl:if test="not($en)">深证通操作手册要求</xsl:if></h2>
      <dl class="requirements">
        <xsl:call-template name="req"><xsl:with-param name="id" select="'R1'"/><xsl:with-param name="zhText" select="'一、(一) 允许从统一客户专区下载，浏览器拦截时选择“总是允许”'"/><xsl:with-param name="enText" select="'1.(1) Allow downloads from the portal; choose always allow when blocked'"/></xsl:call-template>
        <xsl:call-template name="req"><xsl:with-param name="id" select="'R2'"/><xsl:with-param name="zhText" select="'一、(一) 将 https://biz.sscc.com 加入受信任站点'"/><xsl:with-param name="enText" select="'1.(1) Add https://biz.sscc.com to Trusted sites'"/></xsl:call-template>
        <xsl:call-template name="req"><xsl:with-param name="id" select="'R3'"/><xsl:with-param name="zhText" select="'一、(一) 受信任站点自定义级别：ActiveX 自动提示、下载未签名 ActiveX、文件下载、文件下载自动提示均启用'"/><xsl:with-param name="enText" select="'1.(1) Trusted sites custom level: ActiveX prompting, unsigned ActiveX download, file download and download prompting enabled'"/></xsl:call-template>
        <xsl:call-template name="req"><xsl:with-param name="id" select="'R4'"/><xsl:with-param name="zhText" select="'一、(一) Windows 10 及以上：Edge 允许在 IE 模式下重新加载网站'"/><xsl:with-param name="enText" select="'1.(1) Windows 10+: Edge allows reloading sites in Internet Explorer mode'"/></xsl:call-template>
        <xsl:call-template name="req"><xsl:with-param name="id" select="'R5'"/><xsl:with-param name="zhText" select="'一、(一) Windows 10 及以上：统一客户专区页面加入 IE 模式页面列表'"/><xsl:with-param name="enText" select="'1.(1) Windows 10+: the portal pages are in the IE-mode page list'"/></xsl:call-template>
        <xsl:call-template name="req"><xsl:with-param name="id" select="'R6'"/><xsl:with-param name="zhText" select="'一、(一) 修改设置后关闭并重新打开浏览器'"/><xsl:with-param name="enText" select="'1.(1) Close and reopen the browser after the changes'"/></xsl:call-template>
        <xsl:call-template name="req"><xsl:with-param name="id" select="'R7'"/><xsl:with-param name="zhText" select="'一、(一) 安装飞天 Ekey 驱动程序'"/><xsl:with-param name="enText" select="'1.(1) Install the Feitian Ekey driver'"/></xsl:call-template>
        <xsl:call-template name="req"><xsl:with-param name="id" select="'R8'"/><xsl:with-param name="zhText" select="'一、(一) 安装 JITCertEnroll、JITComVCTK_S、JITDSign 插件'"/><xsl:with-param name="enText" select="'1.(1) Plugins JITCertEnroll, JITComVCTK_S and JITDSign installed'"/></xsl:call-template>
        <xsl:call-template name="req"><xsl:with-param name="id" select="'R9'"/><xsl:with-param name="zhText" select="'一、(一) 插件版本：CertEnroll Control = 2.0.4.8，JITVCTK ≥ 2.0.24.42，JITVCTKEx ≥ 2.1.9.4（可选）'"/><xsl:with-param name="enText" select="'1.(1) Plugin versions: CertEnroll Control = 2.0.4.8, JITVCTK ≥ 2.0.24.42, JITVCTKEx ≥ 2.1.9.4 (optional)'"/></xsl:call-template>
        <xsl:call-template name="req"><xsl:with-param name="id" select="'R10'"/><xsl:with-param name="zhText" select="'一、(二) 文件证书导入当前用户“个人”存储'"/><xsl:with-param name="enText" select="'1.(2) File certificate imported into Current User Personal store'"/></xsl:call-template>
        <xsl:call-template name="req"><xsl:with-param name="id" select="'R11'"/><xsl:with-param name="zhText" select="'一、(二) 硬证书：一次只插入一个 Ekey'"/><xsl:with-param name="enText" select="'1.(2) Hardware certificate: only one Ekey at a time'"/></xsl:call-template>
        <xsl:call-template name="req"><xsl:with-param name="id" select="'R12'"/><xsl:with-param name="zhText" select="'一、(三) Internet 选项 → 内容 → 证书 → 个人 中可见该证书'"/><xsl:with-param name="enText" select="'1.(3) Internet Options → Content → Certificates → Personal lists the certificate'"/></xsl:call-template>
        <xsl:call-template name="req"><xsl:with-param name="id" select="'R13'"/><xsl:with-param name="zhText" select="'二 在统一客户专区在线更新即将到期的证书'"/><xsl:with-param name="enText" select="'2 Renew online from the portal list of expiring certificates'"/></xsl:call-template>
        <xsl:call-template name="req"><xsl:with-param name="id" select="'R14'"/><xsl:with-param name="zhText" select="'二 文件证书下载：密码信封 30 天内；参考号 ≤ 22 位；授权码 ≤ 16 位；保护密码 6 位数字'"/><xsl:with-param name="enText" select="'2 File certificate download: within 30 days; reference code ≤ 22; authorization code ≤ 16; 6-digit password'"/></xsl:call-template>
        <xsl:call-template name="req"><xsl:with-param name="id" select="'R15'"/><xsl:with-param name="zhText" select="'二 以网关号或网关号加 #0 保存，文件名不含中文'"/><xsl:with-param name="enText" select="'2 Save as the gateway number or gateway number + #0, no Chinese file name'"/></xsl:call-template>
        <xsl:call-template name="req"><xsl:with-param name="id" select="'R16'"/><xsl:with-param name="zhText" select="'二 技术支持电话 0755-83183333'"/><xsl:with-param name="enText" select="'2 Support line 0755-83183333'"/></xsl:call-template>
        <xsl:call-template name="req"><xsl:with-param name="id" select="'R17'"/><xsl:with-param name="zhText" select="'四 删除旧插件：按类标识搜索注册表并删除，直到没有剩余'"/><xsl:with-param name="enText" select="'4 Remove stale plugins: delete every registry key naming the class IDs until none remain'"/></xsl:call-template>
        <xsl:call-template name="req"><xsl:with-param name="id" select="'E1'"/><xsl:with-param name="zhText" select="'三 CertEnroll Control 插件安装版本错误 / 未安装插件'"/><xsl:with-param name="enText" select="'3 Wrong CertEnroll Control version / plugin not installed'"/></xsl:call-template>
        <xsl:call-template name="req"><xsl:with-param name="id" select="'E2'"/><xsl:with-param name="zhText" select="'三 产生申请书失败！（证书无效或硬件驱动缺失）'"/><xsl:with-param name="enText" select="'3 Request generation failed (certificate invalid or driver missing)'"/></xsl:call-template>
        <xsl:call-template name="req"><xsl:with-param name="id" select="'E3'"/><xsl:with-param name="zhText" select="'三 未检测到硬证书 ukey 或 ukey 存储空间已满'"/><xsl:with-param name="enText" select="'3 Hardware token not detected or its storage is full'"/></xsl:call-template>
        <xsl:call-template name="req"><xsl:with-param name="id" select="'E4'"/><xsl:with-param name="zhText" select="'三 产生申请书失败！（证书无效）'"/><xsl:with-param name="enText" select="'3 Request generation failed (certificate invalid)'"/></xsl:call-template>
        <xsl:call-template name="req"><xsl:with-param name="id" select="'E5'"/><xsl:with-param name="zhText" select="'三 证书信息与 CA 系统不一致！（文件证书名须以 #0 结尾，硬证书不得）'"/><xsl:with-param name="enText" select="'3 Certificate does not match the CA (file name ends with #0 for file certificates only)'"/></xsl:call-template>
        <xsl:call-template name="req"><xsl:with-param name="id" select="'E6'"/><xsl:with-param name="zhText" select="'三 未识别到旧证书信息（旧证书未导入）'"/><xsl:with-param name="enText" select="'3 Old certificate not recognised (not imported)'"/></xsl:call-template>
        <xsl:call-template name="req"><xsl:with-param name="id" select="'E7'"/><xsl:with-param name="zhText" select="'三 网络原因或通信网关证书信息不正确导致更新失败'"/><xsl:with-param name="enText" select="'3 Renewal failed: network, or the CA froze, revoked or already renewed the certificate'"/></xsl:call-template>
        <xsl:call-template name="req"><xsl:with-param name="id" select="'E8'"/><xsl:with-param name="zhText" select="'三 Pfx 签名证书制作失败！（插件版本不是 2.0.4.8）'"/><xsl:with-param name="enText" select="'3 PFX signing certificate creation failed (plugin not 2.0.4.8)'"/></xsl:call-template>
        <xsl:call-template name="req"><xsl:with-param name="id" select="'E9'"/><xsl:with-param name="zhText" select="'三 证书更新成功，下载拦截导致证书保存失败'"/><xsl:with-param name="enText" select="'3 Renewed, but a blocked download kept the certificate from being saved'"/></xsl:call-template>
      </dl>
    </xsl:if>
  </xsl:template>

  <xsl:template name="req">
    <xsl:param name="id"/><xsl:param name="zhText"/><xsl:param name="enText"/>
    <dt id="req-{$id}"><xsl:value-of select="$id"/></dt>
    <dd><xsl:choose><xsl:when test="$en"><xsl:value-of select="$enText"/></xsl:when><xsl:otherwise><xsl:value-of select="$zhText"/></xsl:otherwise></xsl:choose></dd>
  </xsl:template>
</xsl:stylesheet>
